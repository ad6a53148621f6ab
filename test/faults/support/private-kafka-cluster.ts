import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';
import { freePort, waitFor } from '@lms/testing';
import { PrivateKafkaDirectory } from './private-kafka-directory';

/** The replication a production cluster would use: one broker may go, acks=all writes still succeed. */
export const CLUSTER_REPLICATION_FACTOR = 3;
export const CLUSTER_MIN_INSYNC_REPLICAS = 2;

export interface KafkaClusterNode {
  nodeId: number;
  port: number;
  controllerPort: number;
  /** The node's own KAFKA_DIR (server.properties, broker.log, broker.pid, data). */
  directory: string;
}

/**
 * A private 3-node KRaft cluster on free loopback ports, started by `scripts/kafka.sh cluster start`
 * in a temporary KAFKA_DIR. Every node is broker and controller (combined mode): three JVMs (256 MiB
 * heap each) make a real Raft quorum that survives the loss of any one node, the cheapest setup that
 * has one. Storage is formatted with one random cluster id, so no node of another run can join it.
 * Topics the apps create get the broker defaults: replication factor 3, min.insync.replicas 2 (the
 * consumer offsets included, so the consumer group's coordinator survives a lost broker too).
 */
export class PrivateKafkaCluster {
  private constructor(
    private readonly home: PrivateKafkaDirectory,
    readonly nodes: readonly KafkaClusterNode[],
    private readonly env: Record<string, string>,
  ) {}

  static async start(nodeCount = 3): Promise<PrivateKafkaCluster> {
    const home = PrivateKafkaDirectory.create();
    const nodes: KafkaClusterNode[] = [];
    for (let nodeId = 1; nodeId <= nodeCount; nodeId += 1) {
      nodes.push({
        nodeId,
        port: await freePort(),
        controllerPort: await freePort(),
        directory: path.join(home.path, 'cluster', `node-${nodeId}`),
      });
    }
    const env = {
      KAFKA_CLUSTER_PORTS: nodes.map((node) => node.port).join(','),
      KAFKA_CLUSTER_CONTROLLER_PORTS: nodes.map((node) => node.controllerPort).join(','),
      // A Kafka cluster id is a UUID in URL-safe base64 (22 characters).
      KAFKA_CLUSTER_ID: randomBytes(16).toString('base64url'),
      KAFKA_CLUSTER_REPLICATION_FACTOR: String(CLUSTER_REPLICATION_FACTOR),
      KAFKA_CLUSTER_MIN_INSYNC_REPLICAS: String(CLUSTER_MIN_INSYNC_REPLICAS),
      KAFKA_CLUSTER_HEAP_OPTS: '-Xms128m -Xmx256m',
    };
    const cluster = new PrivateKafkaCluster(home, nodes, env);
    try {
      await home.script(['cluster', 'start'], env);
    } catch (error) {
      await cluster.stopAndRemove();
      throw error;
    }
    return cluster;
  }

  get brokers(): string[] {
    return this.nodes.map((node) => `127.0.0.1:${node.port}`);
  }

  /** Bootstrap addresses without `nodeId`: for clients that must not wait on a node known to be gone. */
  brokersExcept(nodeId: number): string[] {
    return this.nodes.filter((node) => node.nodeId !== nodeId).map((node) => `127.0.0.1:${node.port}`);
  }

  node(nodeId: number): KafkaClusterNode {
    const node = this.nodes.find((candidate) => candidate.nodeId === nodeId);
    if (!node) throw new Error(`no node ${nodeId} in this cluster`);
    return node;
  }

  /**
   * Stops one node with `signal` (SIGKILL by default: a crash, no controlled shutdown) and resolves
   * once its broker port refuses connections, the moment every client sees it gone.
   */
  async stop(nodeId: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const node = this.node(nodeId);
    const pid = Number(readFileSync(path.join(node.directory, 'broker.pid'), 'utf8').trim());
    process.kill(pid, signal);
    await waitFor(
      `node ${nodeId} (pid ${pid}) gone after ${signal}`,
      async () => !(await portAnswers(node.port)),
      60_000,
      100,
    );
  }

  async stopAndRemove(): Promise<void> {
    await this.home.script(['cluster', 'stop'], this.env).catch(() => undefined);
    this.home.remove();
  }
}

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
