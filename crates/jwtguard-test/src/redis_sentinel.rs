//! A real Redis with Sentinel on free loopback ports: a master, a replica and three
//! `redis-sentinel`s watching them (quorum 2, a master is down after 1 s), killed on drop.
//!
//! Under `CI=true` a missing `redis-server`, `redis-sentinel` or `redis-cli` fails the test;
//! elsewhere the test is skipped with a message.

use crate::redis_processes::{RedisProcess, ScratchDir, cli, installed, wait_for};

/// The name the sentinels know the master by.
pub const MASTER_NAME: &str = "mymaster";

/// A running set-up; every process stops on drop.
#[derive(Debug)]
pub struct RedisSentinel {
    /// The first master, then its replica: index 0 is the master at start.
    servers: Vec<RedisProcess>,
    sentinels: Vec<RedisProcess>,
    _dir: ScratchDir,
}

impl RedisSentinel {
    /// Starts the master, its replica (waiting until it is in sync) and three sentinels (waiting
    /// until each knows the replica and the two other sentinels). Panics when a binary is
    /// missing.
    pub fn start() -> RedisSentinel {
        RedisSentinel::start_with_replication_via(|master| master)
    }

    /// As [`RedisSentinel::start`], with the replica reaching its master through the port
    /// `via(master_port)` returns (a [`crate::tcp_proxy::TcpProxy`], to stall replication).
    pub fn start_with_replication_via(via: impl FnOnce(u16) -> u16) -> RedisSentinel {
        installed(&["redis-server", "redis-sentinel", "redis-cli"]);
        let dir = ScratchDir::new("sentinel");
        let dir_path = dir.path().to_string_lossy().into_owned();
        let server = |replica_of: Option<u16>| {
            RedisProcess::start("redis-server", false, |port| {
                let mut args: Vec<String> =
                    ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"].map(str::to_owned).to_vec();
                // A replica writes the snapshot of its full sync to its directory, even without
                // persistence: the scratch directory, not the test's working directory.
                args.extend(["--dir".to_owned(), dir_path.clone()]);
                args.extend(["--port".to_owned(), port.to_string()]);
                if let Some(master) = replica_of {
                    args.extend(["--replicaof".to_owned(), "127.0.0.1".to_owned(), master.to_string()]);
                }
                args
            })
        };
        let master = server(None);
        let replica = server(Some(via(master.port())));
        wait_for("the replica in sync with the master", 20, || {
            cli(replica.port(), &["INFO", "replication"]).is_some_and(|i| i.contains("master_link_status:up"))
        });
        let sentinels: Vec<RedisProcess> = (0..3)
            .map(|_| {
                RedisProcess::start("redis-sentinel", false, |port| {
                    let conf = dir.path().join(format!("sentinel-{port}.conf"));
                    let text = format!(
                        "port {port}\nbind 127.0.0.1\ndir {dir}\n\
                         sentinel monitor {MASTER_NAME} 127.0.0.1 {master} 2\n\
                         sentinel down-after-milliseconds {MASTER_NAME} 1000\n\
                         sentinel failover-timeout {MASTER_NAME} 3000\n\
                         sentinel parallel-syncs {MASTER_NAME} 1\n",
                        dir = dir.path().display(),
                        master = master.port(),
                    );
                    std::fs::write(&conf, text).unwrap();
                    vec![conf.to_string_lossy().into_owned()]
                })
            })
            .collect();
        for s in &sentinels {
            wait_for("every sentinel knows the replica and the other sentinels", 30, || {
                cli(s.port(), &["SENTINEL", "MASTER", MASTER_NAME]).is_some_and(|out| {
                    let fields: Vec<&str> = out.lines().collect();
                    let field = |name: &str| fields.iter().position(|f| *f == name).and_then(|i| fields.get(i + 1));
                    field("num-other-sentinels") == Some(&"2") && field("num-slaves") == Some(&"1")
                })
            });
        }
        RedisSentinel { servers: vec![master, replica], sentinels, _dir: dir }
    }

    /// `redis://127.0.0.1:PORT` of every sentinel.
    pub fn sentinel_urls(&self) -> Vec<String> {
        self.sentinels.iter().map(RedisProcess::url).collect()
    }

    /// The port of the master the sentinels name now.
    pub fn master_port(&self) -> Option<u16> {
        self.sentinels.iter().find_map(|s| {
            let out = cli(s.port(), &["SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER_NAME])?;
            out.lines().nth(1)?.trim().parse().ok()
        })
    }

    /// Kills the current master (SIGKILL) and waits until the sentinels name the other server.
    ///
    /// # Panics
    /// When no failover happens within 30 s.
    pub fn kill_master_and_fail_over(&mut self) {
        let old = self.master_port().expect("a master");
        if let Some(master) = self.servers.iter_mut().find(|s| s.port() == old) {
            master.kill();
        }
        wait_for("the sentinels fail over to the replica", 30, || self.master_port().is_some_and(|p| p != old));
    }
}
