export * from "./erasure-ledger";
export * from "./erasure-ledger-policy";
