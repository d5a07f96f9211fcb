import pkg from "../package.json" with { type: "json" };

/** This package's version, as package.json states it (`entra-connector --version`). */
export const VERSION: string = pkg.version;
