export * from "./eks-cluster";
export * from "./network";
