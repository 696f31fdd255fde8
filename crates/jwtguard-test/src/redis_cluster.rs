//! A real 3-master Redis Cluster on free loopback ports: three `redis-server --cluster-enabled
//! yes` joined with `redis-cli --cluster create`, killed on drop.
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
    /// waits until every node sees it healthy. `None` (outside CI) when a binary is missing.
    pub fn start() -> Option<RedisCluster> {
        installed(&["redis-server", "redis-cli"])?;
        let dir = ScratchDir::new("cluster");
        let nodes: Vec<RedisProcess> = (0..3)
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
        args.extend(["--cluster-replicas", "0", "--cluster-yes"]);
        let created = cli(nodes[0].port(), &args);
        assert!(created.is_some(), "redis-cli --cluster create failed");
        for node in &nodes {
            wait_for("every node sees the cluster healthy", 30, || {
                cli(node.port(), &["CLUSTER", "INFO"]).is_some_and(|info| {
                    info.contains("cluster_state:ok")
                        && info.contains("cluster_known_nodes:3")
                        && info.contains("cluster_slots_ok:16384")
                })
            });
        }
        Some(RedisCluster { nodes, _dir: dir })
    }

    /// `redis://127.0.0.1:PORT` of every node.
    pub fn urls(&self) -> Vec<String> {
        self.nodes.iter().map(RedisProcess::url).collect()
    }
}
