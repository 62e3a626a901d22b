// Entry point of the Pulumi program (Pulumi.yaml `main`). Stack outputs are main()'s result.
import { main } from "./program";

export = main();
