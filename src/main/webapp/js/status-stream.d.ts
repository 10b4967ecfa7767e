// Types of the status-stream browser client (status-stream.js): `connect()` for one project,
// `watch()` for several on one connection that the tabs of a user share. The behaviour of each
// option is described in README.md beside this file.

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

/** An event of one of the watched projects: the project's payload with its `projectId`. */
export type ProjectEvent = StatusEvent & {
  /** The project the event belongs to (a UUID, lower case). */
  projectId: string;
};

export interface WatchOptions {
  /** The projects to watch at first (UUIDs, at most 64); `add()` and `remove()` change them. */
  projectIds?: readonly string[];
  /** A valid access token; called before every connect, reconnect and poll of the tab that holds the connection, and (without `shareKey`) once at start to tell the user by. */
  getToken: () => string | Promise<string>;
  /** Each event of the watched projects, parsed, exactly once and in order per project. */
  onEvent?: (event: ProjectEvent) => void;
  /** Each change of state of the connection (also when another tab holds it). */
  onState?: (state: StreamState) => void;
  /** The server cannot replay what was missed of this project: refetch its state. */
  onResync?: (projectId: string) => void;
  /** The user may not read this project (or it was deleted): it is no longer watched. */
  onForbidden?: (projectId: string) => void;
  /** Where the service is, e.g. `https://status.example.org`; empty (the default): this page's origin. */
  baseUrl?: string;
  /** The first reconnect delay before jitter, in ms: the server's `STREAM_RETRY_MILLIS` (default 3000). */
  retryMillis?: number;
  /** Share one connection with the other tabs of the same user on this origin (default true). */
  share?: boolean;
  /** Names the group of tabs that share a connection; default: the token's `iss` and `sub`. Must differ between users. */
  shareKey?: string;
  /** Stand-ins for the browser's globals (tests, other hosts); the browser's own unless given. */
  EventSource?: new (url: string | URL) => EventSource;
  fetch?: typeof fetch;
  setTimeout?: (callback: () => void, delay: number) => unknown;
  clearTimeout?: (handle: any) => void;
  /** A number in [0, 1), as `Math.random`. */
  random?: () => number;
  /** Milliseconds since the epoch, as `Date.now`. */
  now?: () => number;
  BroadcastChannel?: new (name: string) => BroadcastChannel;
  /** `navigator.locks`; without it (or without BroadcastChannel) the page connects on its own. */
  locks?: LockManager;
}

export interface ProjectsStream {
  /** Watches these projects too; the connection reconnects from its cursor, losing nothing. */
  add(...projectIds: string[]): void;
  /** Stops watching these projects: none of their events is handed over any more. */
  remove(...projectIds: string[]): void;
  /** The projects watched now. */
  readonly projectIds: string[];
  /** Stops watching; a tab that held the connection hands it to another tab. */
  close(): void;
}

/** Watches several projects on one connection, shared by the user's tabs, until `close()`. */
export function watch(options: WatchOptions): ProjectsStream;
