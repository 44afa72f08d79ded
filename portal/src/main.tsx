/** The sos-worker portal: mounts the app; everything runs in this page, against this origin. */
import { render } from "preact";
import { App } from "./app";

render(<App />, document.getElementById("app")!);
