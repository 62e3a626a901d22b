/**
 * The narrow input of the objectives model, built by the caller (the policy pack and the plan
 * tool, from the resolved stack config): the model imports nothing from stacks/, and reads
 * only these fields, the declared resources and the drill reports.
 */
import type { DataClassObjectiveId, ScenarioId } from "../config/vocabulary";
import type { DrillReportLike, MeasuredFigure, MeasuredId } from "./figures";
import { findFigure, findWorstRun } from "./figures";

import type { Term } from "./terms";
import type { RecordedResource } from "../components/core/recorded-resource";

export type { DataClassObjectiveId, ScenarioId };
export type Metric = "detect" | "rto" | "rpo";
export type Subject = "services" | DataClassObjectiveId;

/** A risk the stack accepts for one cell: the worst bound it accepts, and why. */
export interface AcceptedRisk {
    /** `<scenario>.<subject>.<metric>`, e.g. `S4.uploads.rpo`. */
    readonly cell: string;
    readonly worstSeconds: number;
    readonly reason: string;
}

export interface ObjectivesInput {
    readonly stack: string;
    readonly environment: "dev" | "staging" | "prod";
    readonly role: "primary" | "dr";
    readonly objectives: {
        readonly scenarios: Readonly<Record<ScenarioId, { readonly detectSeconds: number; readonly rtoSeconds: number; readonly rpoSeconds: number | null }>>;
        readonly dataClasses: Readonly<Record<DataClassObjectiveId, { readonly rpoSeconds: number }>>;
        readonly criticalServicesRtoSeconds: number;
        readonly acceptedRisks: readonly AcceptedRisk[];
    };
    readonly services: readonly { readonly name: string; readonly critical: boolean }[];
    readonly regions: { readonly primary: string; readonly dr: string; readonly tier3: string };
    /** `eks`: the stack creates its cluster; `existing`: it deploys onto one. */
    readonly cluster: "existing" | "eks";
    readonly redis: { readonly maxReplicaLagSeconds: number };
    readonly dr?: { readonly primaryStack: string; readonly mode: "pilot-light" | "rebuild"; readonly promote: boolean; readonly restoreFrom: string };
    readonly resources: readonly RecordedResource[];
    readonly reports?: readonly DrillReportLike[];
    /** Extra notes to carry (e.g. drill reports that failed to parse). */
    readonly notes?: readonly string[];
}

/** What every mechanism reader and scenario sees. */
export interface ModelContext {
    readonly input: ObjectivesInput;
    readonly resources: readonly RecordedResource[];
    readonly reports: readonly DrillReportLike[];
    /** Resources whose inputs are unknown until deployed. */
    readonly unknown: string[];
}

export function collect<V>(ctx: ModelContext, r: { found: V[]; unknown: string[] }): V[] {
    ctx.unknown.push(...r.unknown);
    return r.found;
}

export function figure(ctx: ModelContext, id: MeasuredId): MeasuredFigure | undefined {
    return findFigure(ctx.reports, id);
}

/** A measured duration as a term, or undefined when no report holds it. */
export function measured(ctx: ModelContext, id: MeasuredId, label: string): Term | undefined {
    const f = figure(ctx, id);
    if (!f || f.unit !== "s") return undefined;
    return { label: `${label} (measured, ${f.context})`, seconds: f.value, basis: "measured", source: f.ref };
}

const round = (n: number) => Math.round(n * 10) / 10;
const MiB = 2 ** 20;

/**
 * A measured rate applied to a declared size: `size / (bytes / seconds)`. The arithmetic is
 * part of the term, so the plan shows it. Undefined when the report lacks either figure.
 */
export function scaled(ctx: ModelContext, what: string, bytesId: MeasuredId, secondsId: MeasuredId, declaredBytes: number, declaredWhat: string): Term | undefined {
    // Both figures from one run: the run with the slowest rate (worst case first).
    const pair = findWorstRun(ctx.reports, [bytesId, secondsId], (f) => (f[secondsId].unit === "s" && f[bytesId].value > 0 ? f[secondsId].value / f[bytesId].value : -Infinity));
    const b = pair?.[bytesId];
    const s = pair?.[secondsId];
    if (!b || !s || s.unit !== "s" || !(b.value > 0) || !(s.value > 0)) return undefined;
    const rate = b.value / s.value;
    const seconds = round(declaredBytes / rate);
    return {
        label: `${what}: ${declaredWhat} at the measured ${round(rate / MiB)} MiB/s (measured, ${s.context})`,
        seconds,
        basis: "measured",
        source: `${b.ref}, ${s.ref}`,
        arithmetic: `${round(declaredBytes / MiB)} MiB / (${round(b.value / MiB)} MiB / ${s.value} s) = ${seconds} s`,
    };
}

/** Kubernetes quantity ("100Gi", "512Mi", "1G") in bytes. */
export function quantityBytes(q: unknown): number | undefined {
    if (typeof q === "number") return q;
    if (typeof q !== "string") return undefined;
    const m = /^\s*(\d+(?:\.\d+)?)\s*(Ki|Mi|Gi|Ti|k|M|G|T)?\s*$/.exec(q);
    if (!m) return undefined;
    const mult: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, k: 1e3, M: 1e6, G: 1e9, T: 1e12 };
    return Number(m[1]) * (m[2] ? mult[m[2]] : 1);
}
