// Where the Automation API finds it (automation/paths.ts); defined with the cluster clients.
export { expandHome } from "./cluster/home";
