/** Sealed bids: the crypto shared by the browser and the server (plugins/etrading/README.md). */
export * from "./codec";
export * from "./signing";
export * from "./seal";
export * from "./receipt";
