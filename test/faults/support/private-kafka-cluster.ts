import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
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

  /**
   * Starts a cluster on fresh free ports. A port found free can be taken again before the JVM binds it
   * (another test's client, a port still held by the previous cluster's sockets), so a start that fails
   * is retried on new ports; the nodes' last log lines go with the error when every try fails.
   */
  static async start(nodeCount = 3, tries = 3): Promise<PrivateKafkaCluster> {
    const failures: string[] = [];
    for (let attempt = 1; attempt <= tries; attempt += 1) {
      const cluster = await PrivateKafkaCluster.create(nodeCount);
      try {
        await cluster.home.script(['cluster', 'start'], cluster.env);
        return cluster;
      } catch (error) {
        failures.push(`try ${attempt}: ${(error as Error).message}\n${cluster.nodeLogTails()}`);
        await cluster.stopAndRemove();
      }
    }
    throw new Error(`the Kafka cluster did not start:\n${failures.join('\n')}`);
  }

  private static async create(nodeCount: number): Promise<PrivateKafkaCluster> {
    const home = PrivateKafkaDirectory.create();
    const ports = new Set<number>();
    while (ports.size < 2 * nodeCount) ports.add(await freePort());
    const [brokerPorts, controllerPorts] = [[...ports].slice(0, nodeCount), [...ports].slice(nodeCount)];
    const nodes: KafkaClusterNode[] = brokerPorts.map((port, index) => ({
      nodeId: index + 1,
      port,
      controllerPort: controllerPorts[index],
      directory: path.join(home.path, 'cluster', `node-${index + 1}`),
    }));
    const env = {
      KAFKA_CLUSTER_PORTS: nodes.map((node) => node.port).join(','),
      KAFKA_CLUSTER_CONTROLLER_PORTS: nodes.map((node) => node.controllerPort).join(','),
      // A Kafka cluster id is a UUID in URL-safe base64 (22 characters).
      KAFKA_CLUSTER_ID: randomBytes(16).toString('base64url'),
      KAFKA_CLUSTER_REPLICATION_FACTOR: String(CLUSTER_REPLICATION_FACTOR),
      KAFKA_CLUSTER_MIN_INSYNC_REPLICAS: String(CLUSTER_MIN_INSYNC_REPLICAS),
      KAFKA_CLUSTER_HEAP_OPTS: '-Xms128m -Xmx256m',
    };
    return new PrivateKafkaCluster(home, nodes, env);
  }

  private nodeLogTails(): string {
    return this.nodes
      .map((node) => {
        const log = path.join(node.directory, 'broker.log');
        const tail = existsSync(log)
          ? readFileSync(log, 'utf8').split('\n').slice(-15).join('\n')
          : '(no log)';
        return `node ${node.nodeId} (port ${node.port}, controller ${node.controllerPort}):\n${tail}`;
      })
      .join('\n');
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
