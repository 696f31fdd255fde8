//! A real 3-master Redis Cluster on free loopback ports: three `redis-server --cluster-enabled
//! yes` (and optionally a replica for each) joined with `redis-cli --cluster create`, killed on
//! drop.
//!
//! Under `CI=true` a missing `redis-server` or `redis-cli` fails the test; elsewhere the test is
//! skipped with a message.

use crate::redis_processes::{RedisProcess, ScratchDir, cli, installed, wait_for};

/// A running cluster; its nodes stop on drop.
#[derive(Debug)]
pub struct RedisCluster {
    nodes: Vec<RedisProcess>,
    _dir: ScratchDir,
}

impl RedisCluster {
    /// Starts three masters without persistence, creates the cluster (every slot covered) and
    /// waits until every node sees it healthy. Panics when a binary is missing.
    pub fn start() -> RedisCluster {
        RedisCluster::start_with_replicas(0)
    }

    /// As [`RedisCluster::start`], with `replicas` replicas for each master (waiting until each
    /// is in sync), so the cluster can fail over.
    pub fn start_with_replicas(replicas: usize) -> RedisCluster {
        installed(&["redis-server", "redis-cli"]);
        let dir = ScratchDir::new("cluster");
        let count = 3 * (1 + replicas);
        let nodes: Vec<RedisProcess> = (0..count)
            .map(|_| {
                RedisProcess::start("redis-server", true, |port| {
                    let conf = dir.path().join(format!("nodes-{port}.conf"));
                    [
                        "--port",
                        &port.to_string(),
                        "--bind",
                        "127.0.0.1",
                        "--cluster-enabled",
                        "yes",
                        "--cluster-config-file",
                        &conf.to_string_lossy(),
                        "--cluster-node-timeout",
                        "2000",
                        "--dir",
                        &dir.path().to_string_lossy(),
                        "--save",
                        "",
                        "--appendonly",
                        "no",
                    ]
                    .map(str::to_owned)
                    .to_vec()
                })
            })
            .collect();
        let addrs: Vec<String> = nodes.iter().map(|n| format!("127.0.0.1:{}", n.port())).collect();
        let mut args = vec!["--cluster", "create"];
        args.extend(addrs.iter().map(String::as_str));
        let replicas = replicas.to_string();
        args.extend(["--cluster-replicas", &replicas, "--cluster-yes"]);
        let created = cli(nodes[0].port(), &args);
        assert!(created.is_some(), "redis-cli --cluster create failed");
        let known = format!("cluster_known_nodes:{count}");
        for node in &nodes {
            wait_for("every node sees the cluster healthy", 30, || {
                cli(node.port(), &["CLUSTER", "INFO"]).is_some_and(|info| {
                    info.contains("cluster_state:ok")
                        && info.contains(&known)
                        && info.contains("cluster_slots_ok:16384")
                })
            });
            wait_for("every replica in sync", 30, || {
                cli(node.port(), &["INFO", "replication"])
                    .is_some_and(|info| info.contains("role:master") || info.contains("master_link_status:up"))
            });
        }
        RedisCluster { nodes, _dir: dir }
    }

    /// The port of the master serving `key`'s slot, as the live nodes see it.
    pub fn master_of(&self, key: &str) -> Option<u16> {
        let live = self.nodes.iter().find(|n| n.is_running())?;
        let slot: u16 = cli(live.port(), &["CLUSTER", "KEYSLOT", key])?.trim().parse().ok()?;
        let nodes = cli(live.port(), &["CLUSTER", "NODES"])?;
        nodes.lines().find_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let flags = fields.get(2)?;
            if !flags.contains("master") || flags.contains("fail") {
                return None;
            }
            let serves = fields.iter().skip(8).any(|range| {
                let (lo, hi) = range.split_once('-').unwrap_or((range, range));
                matches!((lo.parse::<u16>(), hi.parse::<u16>()), (Ok(lo), Ok(hi)) if (lo..=hi).contains(&slot))
            });
            let port = fields.get(1)?.split(['@', ',']).next()?.rsplit_once(':')?.1.parse().ok()?;
            serves.then_some(port)
        })
    }

    /// Kills (SIGKILL) the master serving `key`'s slot and waits until its replica serves it
    /// and the cluster is healthy again.
    ///
    /// # Panics
    /// When there is no such master, or no failover within 30 s.
    pub fn kill_master_of(&mut self, key: &str) {
        let old = self.master_of(key).expect("a master for the key");
        if let Some(node) = self.nodes.iter_mut().find(|n| n.port() == old) {
            node.kill();
        }
        wait_for("the cluster fails over", 30, || {
            self.master_of(key).is_some_and(|p| p != old)
                && self
                    .nodes
                    .iter()
                    .filter(|n| n.is_running())
                    .all(|n| cli(n.port(), &["CLUSTER", "INFO"]).is_some_and(|i| i.contains("cluster_state:ok")))
        });
    }

    /// `redis://127.0.0.1:PORT` of every node.
    pub fn urls(&self) -> Vec<String> {
        self.nodes.iter().map(RedisProcess::url).collect()
    }
}
