use jwtguard_core::refresh::{Lifetimes, RefreshRecord, RefreshStore, Rotation, StoreFuture, TokenHash};

use crate::{RedisStores, unavailable};

/// Refresh tokens in Redis: one hash per family, holding what the family stands for and the
/// state of each of its tokens (by SHA-256), plus one small index key per token naming its
/// family.
///
/// Every script touches one key, the family's hash, and declares it: so rotation, reuse
/// detection and logout are atomic per family on one Redis, with Sentinel, and on Redis Cluster
/// alike. The index is written before the family learns the token and never changes, so reading
/// it first takes nothing from that atomicity.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use std::sync::Arc;
/// use jwtguard_core::refresh::RefreshTokens;
/// let stores = jwtguard_redis::RedisStores::connect("redis://127.0.0.1:6379").await?;
/// let tokens = RefreshTokens::new(Arc::new(stores.refresh_store()));
/// let token = tokens.issue("alice", None).await?;
/// let (next, record) = tokens.refresh(&token).await?; // atomic, on any instance
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct RedisRefreshStore {
    stores: RedisStores,
}

/// Atomically rotates token ARGV[1] of family KEYS[1] into token ARGV[2].
/// ARGV: old hex, new hex, now, idle, absolute. A token's field is `t:HEX` = `USED EXPIRES`.
const ROTATE: &str = r#"
local e = redis.call('HGET', KEYS[1], 't:' .. ARGV[1])
if not e then return {'unknown'} end
local used, expires = string.match(e, '^(%d) (%-?%d+)$')
if used == '1' then
  redis.call('DEL', KEYS[1])
  return {'reused'}
end
local now = tonumber(ARGV[3])
if not expires or tonumber(expires) <= now then return {'unknown'} end
local r = redis.call('HMGET', KEYS[1], 'sub', 'scope', 'has_scope', 'started')
local family_end = tonumber(r[4]) + tonumber(ARGV[5])
local next_exp = string.format('%d', math.min(now + tonumber(ARGV[4]), family_end))
redis.call('HSET', KEYS[1], 't:' .. ARGV[1], '1 ' .. expires, 't:' .. ARGV[2], '0 ' .. next_exp)
redis.call('EXPIREAT', KEYS[1], string.format('%d', family_end))
return {'rotated', r[1], r[2], r[3], r[4], next_exp}
"#;

/// Lifetimes and times are kept within what Lua's numbers and Redis' `EXPIREAT` hold exactly.
fn clamp(t: i64) -> i64 {
    t.clamp(-253_402_300_799, 253_402_300_799)
}

fn hex(hash: &TokenHash) -> String {
    hash.iter().map(|b| format!("{b:02x}")).collect()
}

impl RedisRefreshStore {
    pub(crate) fn new(stores: RedisStores) -> Self {
        RedisRefreshStore { stores }
    }

    /// The index key of a token: its family's id.
    fn index(&self, hash: &TokenHash) -> String {
        format!("{}:rt:{}", self.stores.prefix, hex(hash))
    }

    /// The family's hash.
    fn family(&self, family: &str) -> String {
        format!("{}:fam:{family}", self.stores.prefix)
    }

    /// The family `hash` belongs to, if it is known.
    async fn family_of(&self, hash: &TokenHash) -> Result<Option<String>, jwtguard_core::Error> {
        let mut conn = self.stores.conn.clone();
        redis::cmd("GET").arg(self.index(hash)).query_async(&mut conn).await.map_err(unavailable)
    }
}

impl RefreshStore for RedisRefreshStore {
    fn insert(&self, hash: TokenHash, record: RefreshRecord) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            let mut conn = self.stores.conn.clone();
            let fam = self.family(&record.family);
            let expires = clamp(record.expires);
            // The family first: until the index names it, nobody can use the token.
            redis::pipe()
                .atomic()
                .cmd("HSET")
                .arg(&fam)
                .arg("sub")
                .arg(&record.sub)
                .arg("scope")
                .arg(record.scope.as_deref().unwrap_or(""))
                .arg("has_scope")
                .arg(if record.scope.is_some() { "1" } else { "0" })
                .arg("started")
                .arg(clamp(record.family_started))
                .arg(format!("t:{}", hex(&hash)))
                .arg(format!("0 {expires}"))
                .ignore()
                .cmd("EXPIREAT")
                .arg(&fam)
                .arg(expires)
                .ignore()
                .query_async::<()>(&mut conn)
                .await
                .map_err(unavailable)?;
            redis::cmd("SET")
                .arg(self.index(&hash))
                .arg(&record.family)
                .arg("EXAT")
                .arg(expires.max(1))
                .query_async::<()>(&mut conn)
                .await
                .map_err(unavailable)
        })
    }

    fn rotate(&self, old: TokenHash, new: TokenHash, now: i64, lifetimes: Lifetimes) -> StoreFuture<'_, Rotation> {
        Box::pin(async move {
            let Some(family) = self.family_of(&old).await? else { return Ok(Rotation::Unknown) };
            let mut conn = self.stores.conn.clone();
            let (now, idle, absolute) = (clamp(now), clamp(lifetimes.idle), clamp(lifetimes.absolute));
            // The new token's index before the family learns it (it names a family that does
            // not hold the token if the rotation fails, which is harmless). It lives as long as
            // the family can.
            redis::cmd("SET")
                .arg(self.index(&new))
                .arg(&family)
                .arg("EXAT")
                .arg(clamp(now.saturating_add(absolute)).max(1))
                .query_async::<()>(&mut conn)
                .await
                .map_err(unavailable)?;
            let rotate = crate::eval(ROTATE, &[self.family(&family)], (hex(&old), hex(&new), now, idle, absolute));
            let reply: Vec<String> = self.stores.write(&rotate).await?;
            Ok(match reply.as_slice() {
                [tag, sub, scope, has_scope, started, expires] if tag == "rotated" => {
                    let family_started: i64 = started.parse().unwrap_or(0);
                    // A used token is remembered (for reuse detection) as long as its family
                    // can live; the first token's index was written without knowing that. Best
                    // effort: failing here would lose the rotation that already happened.
                    let family_end = clamp(family_started.saturating_add(absolute)).max(1);
                    let extended =
                        redis::cmd("EXPIREAT").arg(self.index(&old)).arg(family_end).query_async::<()>(&mut conn).await;
                    if let Err(e) = extended {
                        tracing::warn!(error = %e, "could not extend a used refresh token's index");
                    }
                    Rotation::Rotated(RefreshRecord {
                        family,
                        sub: sub.clone(),
                        scope: (has_scope == "1").then(|| scope.clone()),
                        family_started,
                        expires: expires.parse().unwrap_or(0),
                    })
                }
                [tag] if tag == "reused" => Rotation::Reused,
                _ => Rotation::Unknown,
            })
        })
    }

    /// One command on the family's one key: a rotation either happened before (its token is in
    /// the hash and dies with it) or finds no family after.
    fn revoke_family(&self, hash: TokenHash) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            let Some(family) = self.family_of(&hash).await? else { return Ok(()) };
            self.stores.write(redis::cmd("DEL").arg(self.family(&family))).await
        })
    }
}
