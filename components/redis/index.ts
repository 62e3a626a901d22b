export * from "./config";
export * from "./redis";
export * from "./scripts";
export * from "./snapshots";
