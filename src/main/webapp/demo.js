// The demo page: renders what arrives over the stream, through the public client module.
import { connect } from "/js/status-stream.js";

const $ = (id) => document.getElementById(id);
const LABELS = {
  connecting: "Connecting…",
  open: "Connected",
  reconnecting: "Reconnecting…",
  polling: "Polling",
  closed: "Disconnected",
};

async function demoSession() {
  const response = await fetch("/api/demo");
  if (!response.ok) throw new Error(`demo mode is off (${response.status})`);
  return response.json();
}

function setConnection(state) {
  $("connection").dataset.state = state;
  $("connection-label").textContent = LABELS[state] ?? state;
}

function renderSources(sources) {
  $("sources").replaceChildren(
    ...sources.map((s) => {
      const li = document.createElement("li");
      li.dataset.sourceId = s.id;
      const name = document.createElement("span");
      name.textContent = s.name;
      const badge = document.createElement("span");
      badge.className = `badge ${s.status}`;
      badge.textContent = s.status;
      li.append(name, badge);
      return li;
    }),
  );
}

const sources = new Map();
const proposals = new Map();
const progressSteps = [];

function renderProposals() {
  const items = [...proposals.values()].map((p) => {
    const li = document.createElement("li");
    li.className = "proposal";
    const title = document.createElement("span");
    title.textContent = p.title;
    const confidence = document.createElement("span");
    confidence.className = "badge";
    confidence.textContent = `${Math.round(p.confidence * 100)} %`;
    li.append(title, confidence);
    return li;
  });
  if (items.length === 0) {
    const li = document.createElement("li");
    li.className = "empty";
    li.textContent = "None yet";
    items.push(li);
  }
  $("proposals").replaceChildren(...items);
}

function handle(event) {
  switch (event.type) {
    case "status_update":
      sources.set(event.sourceId, { id: event.sourceId, name: event.sourceName, status: event.status });
      renderSources([...sources.values()]);
      break;
    case "progress_update": {
      const { stage, current, total, message } = event.progress;
      const percent = total > 0 ? Math.round((current / total) * 100) : 0;
      progressSteps.push(current);
      document.body.dataset.progressSteps = progressSteps.join(",");
      $("bar").style.width = `${percent}%`;
      $("bar").classList.toggle("done", stage === "complete");
      document.querySelector(".progress").setAttribute("aria-valuenow", String(percent));
      $("percent").textContent = `${percent} %`;
      $("stage").textContent = stage;
      $("message").textContent = message || "Processing…";
      if (stage === "complete") $("start").disabled = false;
      break;
    }
    case "new_proposal":
    case "proposal_update":
      proposals.set(event.proposalId, { title: event.title, confidence: event.confidence });
      renderProposals();
      break;
    case "proposal_deleted":
      proposals.delete(event.proposalId);
      renderProposals();
      break;
    default:
      break; // unknown types are ignored
  }
}

async function main() {
  let session;
  try {
    session = await demoSession();
  } catch (error) {
    $("info").hidden = false;
    return;
  }
  $("demo").hidden = false;
  const stream = connect({
    projectId: session.projectId,
    getToken: async () => (await demoSession()).token,
    onEvent: (event) => {
      handle(event);
      $("last-event").textContent = `Last event id: ${stream.lastEventId}`;
    },
    onState: setConnection,
    onResync: () => {
      proposals.clear();
      renderProposals();
    },
  });
  $("start").addEventListener("click", async () => {
    $("start").disabled = true;
    progressSteps.length = 0;
    proposals.clear();
    renderProposals();
    $("bar").style.width = "0%";
    $("message").textContent = "Starting…";
    const response = await fetch("/api/demo/jobs", { method: "POST" });
    if (!response.ok) $("start").disabled = false;
  });
}

main();
