export * from "./constants";
export * from "./drills";
export * from "./model";
export * from "./resources";
