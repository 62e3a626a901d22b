/**
 * Section `postgres`: the Percona operator, the PostgreSQL cluster and pgBackRest's settings.
 */
import { z } from "zod";
import { positiveInt } from "../fields";

export const postgresSection = z
    .strictObject({
        /**
         * Percona Operator for PostgreSQL Helm chart (percona/pg-operator). 3.0.0: the version of
         * the CRD the stacks' custom resources are validated against (crds/).
         */
        operatorChartVersion: z.string().regex(/^\d+\.\d+\.\d+$/, 'must look like "3.0.0"').default("3.0.0"),
        /** PostgreSQL image of the instances (one of the operator release's certified images). */
        image: z.string().min(1).default("percona/percona-distribution-postgresql:15.18-1"),
        pgBouncerReplicas: positiveInt.default(2),
        /**
         * DNS name (and port) at which the DR region reaches the primary cluster for streaming
         * replication over TLS (an internal load balancer of the primary's PostgreSQL service).
         */
        replicationHost: z.string().min(1).optional(),
        replicationPort: z.number().int().min(1024).max(65535).default(5432),
        postgresVersion: z.number().int().min(13).max(17).default(15),
        instances: z.number().int().min(1).default(3),
        storageSize: z.string().default("100Gi"),
        repo1Size: z.string().default("200Gi"),
        /** Upper bound of the local WAL queue while a repo is unreachable (archive-push-queue-max). */
        walQueueMax: z.string().regex(/^\d+(GiB|MiB)$/, 'must look like "4GiB"').default("4GiB"),
        /**
         * io-timeout of WAL archiving only (backups and restores keep pgBackRest's 60 s): how long
         * one S3 read/write may make no progress. It bounds how long an unreachable S3 repo holds
         * back WAL to the local repo (docs/postgres.md, drill (e)).
         */
        archivePushIoTimeoutSeconds: positiveInt.max(60).default(2),
        /** Parallel pgBackRest processes (async WAL push, backups). */
        archiveProcessMax: positiveInt.max(16).default(2),
        stanza: z.string().default("db"),
    })
    .prefault({});
