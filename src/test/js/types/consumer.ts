// A page's use of the client, as the package's README shows it: compiled by check-types.sh, never
// run. A change of the declarations that breaks such code fails the build.
import {
  connect,
  watch,
  type ProjectEvent,
  type ProjectsStream,
  type StatusEvent,
  type StreamState,
  type StatusStream,
} from "@labsos/status-stream-client";

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

// Several projects on one connection, shared by the user's tabs.
declare function refetchProject(projectId: string): void;
const dashboard: ProjectsStream = watch({
  projectIds: ["6f1c2a3e-0000-4000-8000-000000000001", "6f1c2a3e-0000-4000-8000-000000000002"],
  baseUrl: "https://status.example.org",
  getToken: async () => "a token",
  onEvent: (event: ProjectEvent) => {
    const project: string = event.projectId;
    if (event.type === "progress_update") showProgress(event.jobId, event.progress.current, event.progress.total);
    indicator.dataset.project = project;
  },
  onState: (state: StreamState) => {
    indicator.dataset.state = state;
  },
  onResync: (projectId) => refetchProject(projectId),
  onForbidden: (projectId) => refetchProject(projectId),
  shareKey: "user-42",
});
dashboard.add("6f1c2a3e-0000-4000-8000-000000000003", "6f1c2a3e-0000-4000-8000-000000000004");
dashboard.remove("6f1c2a3e-0000-4000-8000-000000000001");
const watched: string[] = dashboard.projectIds;
dashboard.close();
watch({ getToken: () => "a token", share: false });
// @ts-expect-error: a project list is projectIds
watch({ projects: [], getToken: () => "a token" });
// @ts-expect-error: getToken is required
watch({ projectIds: [] });

export { position, watched };
