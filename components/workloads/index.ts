export * from "./manifests";
export * from "./platform-service";
