// Types of the status-stream browser client (status-stream.js). The behaviour of each option is
// described in README.md beside this file.

/** What the client is doing; `onState` hears each change once. */
export type StreamState = "connecting" | "open" | "reconnecting" | "polling" | "closed";

/** An `UPDATE` of a row of `ingestion_sources`. */
export interface StatusUpdate {
  type: "status_update";
  sourceId: string;
  status: string | null;
  sourceName: string | null;
  /** ISO-8601 with offset. */
  updatedAt: string | null;
}

/** An `UPDATE` of a row of `jobs` that changes `progress_updated_at`. */
export interface ProgressUpdate {
  type: "progress_update";
  jobId: string;
  progress: {
    stage: string | null;
    current: number | null;
    total: number | null;
    message: string | null;
    /** `progress_updated_at` in milliseconds since the epoch. */
    timestamp: number | null;
  };
}

/** An `INSERT` into `proposed_nodes`. */
export interface NewProposal {
  type: "new_proposal";
  proposalId: string;
  title: string | null;
  confidence: number | null;
  createdAt: string | null;
}

/** An `UPDATE` of a row of `proposed_nodes`. */
export interface ProposalUpdate {
  type: "proposal_update";
  proposalId: string;
  title: string | null;
  confidence: number | null;
  status: string | null;
  updatedAt: string | null;
}

/** A `DELETE` from `proposed_nodes`. */
export interface ProposalDeleted {
  type: "proposal_deleted";
  proposalId: string;
}

/** An event of the project's log, as the API reference (docs/api.md) describes it. */
export type StatusEvent =
  | StatusUpdate
  | ProgressUpdate
  | NewProposal
  | ProposalUpdate
  | ProposalDeleted;

export interface ConnectOptions {
  /** The project whose events to receive. */
  projectId: string;
  /** A valid access token; called before every connect, reconnect and poll. */
  getToken: () => string | Promise<string>;
  /** Each event of the project, parsed, exactly once and in order. */
  onEvent?: (event: StatusEvent) => void;
  /** Each change of state. */
  onState?: (state: StreamState) => void;
  /** The server cannot replay what this client missed: refetch your state. */
  onResync?: () => void;
  /** Where the service is, e.g. `https://status.example.org`; empty (the default): this page's origin. */
  baseUrl?: string;
  /** The first reconnect delay before jitter, in ms: the server's `STREAM_RETRY_MILLIS` (default 3000). */
  retryMillis?: number;
  /** Stand-ins for the browser's globals (tests, other hosts); the browser's own unless given. */
  EventSource?: new (url: string | URL) => EventSource;
  fetch?: typeof fetch;
  setTimeout?: (callback: () => void, delay: number) => unknown;
  clearTimeout?: (handle: any) => void;
  /** A number in [0, 1), as `Math.random`. */
  random?: () => number;
  /** Milliseconds since the epoch, as `Date.now`. */
  now?: () => number;
}

export interface StatusStream {
  /** Ends the stream, polling and any pending reconnect; also while a token is being fetched. */
  close(): void;
  /**
   * The position reached (a decimal string): the id of the last event handed over or skipped, or
   * the position a resync gave; null before there is one.
   */
  readonly lastEventId: string | null;
}

/** Opens the project's stream, and keeps it open until `close()`. */
export function connect(options: ConnectOptions): StatusStream;
