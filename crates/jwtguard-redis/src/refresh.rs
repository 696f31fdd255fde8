use std::sync::LazyLock;

use jwtguard_core::refresh::{Lifetimes, RefreshRecord, RefreshStore, Rotation, StoreFuture, TokenHash};

use crate::{RedisStores, unavailable};

/// Refresh tokens in Redis: one hash per token (by its SHA-256), one set per family.
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

/// Atomically rotates KEYS[1] (old) into KEYS[2] (new).
/// ARGV: now, idle, absolute, new token hex, prefix.
const ROTATE: &str = r#"
local e = redis.call('HGETALL', KEYS[1])
if #e == 0 then return {'unknown'} end
local r = {}
for i = 1, #e, 2 do r[e[i]] = e[i + 1] end
local fam = ARGV[5] .. ':fam:' .. r.family
if r.used == '1' then
  for _, h in ipairs(redis.call('SMEMBERS', fam)) do redis.call('DEL', ARGV[5] .. ':rt:' .. h) end
  redis.call('DEL', fam)
  return {'reused'}
end
local now = tonumber(ARGV[1])
if tonumber(r.expires) <= now then return {'unknown'} end
local family_end = tonumber(r.started) + tonumber(ARGV[3])
local next_exp = math.min(now + tonumber(ARGV[2]), family_end)
redis.call('HSET', KEYS[1], 'used', '1')
redis.call('EXPIREAT', KEYS[1], family_end)
redis.call('HSET', KEYS[2], 'family', r.family, 'sub', r.sub, 'scope', r.scope, 'has_scope', r.has_scope,
  'started', r.started, 'expires', next_exp, 'used', '0')
redis.call('EXPIREAT', KEYS[2], next_exp)
redis.call('SADD', fam, ARGV[4])
redis.call('EXPIREAT', fam, family_end)
return {'rotated', r.family, r.sub, r.scope, r.has_scope, r.started, tostring(next_exp)}
"#;

/// Revokes the family of KEYS[1] (a token): reads the family, its members and deletes them all
/// in one script, so a rotation cannot slip a new member in between. ARGV: prefix.
static REVOKE_FAMILY: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r#"
local family = redis.call('HGET', KEYS[1], 'family')
if not family then return end
local fam = ARGV[1] .. ':fam:' .. family
for _, h in ipairs(redis.call('SMEMBERS', fam)) do redis.call('DEL', ARGV[1] .. ':rt:' .. h) end
redis.call('DEL', fam)
"#,
    )
});

fn hex(hash: &TokenHash) -> String {
    hash.iter().map(|b| format!("{b:02x}")).collect()
}

impl RedisRefreshStore {
    pub(crate) fn new(stores: RedisStores) -> Self {
        RedisRefreshStore { stores }
    }

    fn key(&self, hash: &TokenHash) -> String {
        format!("{}:rt:{}", self.stores.prefix, hex(hash))
    }
}

impl RefreshStore for RedisRefreshStore {
    fn insert(&self, hash: TokenHash, record: RefreshRecord) -> StoreFuture<'_, ()> {
        let mut conn = self.stores.conn.clone();
        let key = self.key(&hash);
        let fam = format!("{}:fam:{}", self.stores.prefix, record.family);
        Box::pin(async move {
            redis::pipe()
                .atomic()
                .cmd("HSET")
                .arg(&key)
                .arg("family")
                .arg(&record.family)
                .arg("sub")
                .arg(&record.sub)
                .arg("scope")
                .arg(record.scope.as_deref().unwrap_or(""))
                .arg("has_scope")
                .arg(if record.scope.is_some() { "1" } else { "0" })
                .arg("started")
                .arg(record.family_started)
                .arg("expires")
                .arg(record.expires)
                .arg("used")
                .arg("0")
                .ignore()
                .cmd("EXPIREAT")
                .arg(&key)
                .arg(record.expires)
                .ignore()
                .cmd("SADD")
                .arg(&fam)
                .arg(hex(&hash))
                .ignore()
                .cmd("EXPIREAT")
                .arg(&fam)
                .arg(record.expires)
                .ignore()
                .query_async::<()>(&mut conn)
                .await
                .map_err(unavailable)
        })
    }

    fn rotate(&self, old: TokenHash, new: TokenHash, now: i64, lifetimes: Lifetimes) -> StoreFuture<'_, Rotation> {
        let mut conn = self.stores.conn.clone();
        let (old_key, new_key) = (self.key(&old), self.key(&new));
        let prefix = self.stores.prefix.clone();
        Box::pin(async move {
            let reply: Vec<String> = redis::Script::new(ROTATE)
                .key(old_key)
                .key(new_key)
                .arg(now)
                .arg(lifetimes.idle)
                .arg(lifetimes.absolute)
                .arg(hex(&new))
                .arg(prefix)
                .invoke_async(&mut conn)
                .await
                .map_err(unavailable)?;
            Ok(match reply.as_slice() {
                [tag, family, sub, scope, has_scope, started, expires] if tag == "rotated" => {
                    Rotation::Rotated(RefreshRecord {
                        family: family.clone(),
                        sub: sub.clone(),
                        scope: (has_scope == "1").then(|| scope.clone()),
                        family_started: started.parse().unwrap_or(0),
                        expires: expires.parse().unwrap_or(0),
                    })
                }
                [tag] if tag == "reused" => Rotation::Reused,
                _ => Rotation::Unknown,
            })
        })
    }

    fn revoke_family(&self, hash: TokenHash) -> StoreFuture<'_, ()> {
        let mut conn = self.stores.conn.clone();
        let key = self.key(&hash);
        let prefix = self.stores.prefix.clone();
        Box::pin(
            async move { REVOKE_FAMILY.key(key).arg(prefix).invoke_async::<()>(&mut conn).await.map_err(unavailable) },
        )
    }
}
