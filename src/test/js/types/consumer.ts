// A page's use of the client, as the package's README shows it: compiled by check-types.sh, never
// run. A change of the declarations that breaks such code fails the build.
import { connect, type StatusEvent, type StreamState, type StatusStream } from "@labsos/status-stream-client";

declare const indicator: HTMLElement;
declare function showProgress(jobId: string, current: number | null, total: number | null): void;

const states: StreamState[] = [];

const stream: StatusStream = connect({
  projectId: "6f1c2a3e-0000-4000-8000-000000000001",
  baseUrl: "https://status.example.org",
  getToken: async () => "a token",
  onEvent: (event: StatusEvent) => {
    switch (event.type) {
      case "progress_update":
        showProgress(event.jobId, event.progress.current, event.progress.total);
        break;
      case "status_update":
        indicator.title = `${event.sourceName ?? event.sourceId}: ${event.status ?? ""}`;
        break;
      case "new_proposal":
      case "proposal_update":
      case "proposal_deleted":
        indicator.dataset.proposal = event.proposalId;
        break;
      default: {
        // Every event type is handled above.
        const unhandled: never = event;
        throw new Error(String(unhandled));
      }
    }
  },
  onState: (state) => {
    states.push(state);
    indicator.dataset.state = state;
  },
  onResync: () => location.reload(),
  retryMillis: 3000,
});

const position: string | null = stream.lastEventId;
stream.close();

// A token may also come synchronously; an unknown option is an error.
connect({ projectId: "p", getToken: () => "a token" });
// @ts-expect-error: there is no such option
connect({ projectId: "p", getToken: () => "a token", retries: 3 });
// @ts-expect-error: projectId is required
connect({ getToken: () => "a token" });

export { position };
