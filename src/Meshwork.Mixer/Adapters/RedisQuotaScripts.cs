namespace Meshwork.Mixer.Adapters;

/// <summary>
/// The Lua scripts redisquota runs, so that reading the usage and charging it are one atomic step on the server
/// however many Mixer replicas share the Redis. Time comes from the caller (ARGV), so windows follow Mixer's clock.
/// </summary>
internal static class RedisQuotaScripts
{
    /// <summary>
    /// Fixed window: one counter per window (the key carries the window's index), expiring with the window.
    /// KEYS[1] counter; ARGV max, amount, best_effort (0/1), ttl_ms. Returns the amount granted.
    /// </summary>
    public const string FixedWindow = """
        local max = tonumber(ARGV[1])
        local amount = tonumber(ARGV[2])
        local used = tonumber(redis.call('GET', KEYS[1]) or '0')
        local available = max - used
        if available < 0 then available = 0 end
        local grant = amount
        if amount > available then
          if ARGV[3] == '1' then grant = available else grant = 0 end
        end
        if grant > 0 then
          redis.call('INCRBY', KEYS[1], grant)
          redis.call('PEXPIRE', KEYS[1], ARGV[4])
        end
        return grant
        """;

    /// <summary>
    /// Rolling window: a sorted set of grants scored by time; grants older than the window are dropped before the
    /// remaining ones are summed. KEYS[1] the set, KEYS[2] a sequence that keeps members unique;
    /// ARGV max, amount, best_effort (0/1), window_ms, now_ms. Returns the amount granted.
    /// </summary>
    public const string RollingWindow = """
        local max = tonumber(ARGV[1])
        local amount = tonumber(ARGV[2])
        local window = tonumber(ARGV[4])
        local now = tonumber(ARGV[5])
        redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
        local used = 0
        for _, member in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
          used = used + tonumber(string.match(member, ':(%d+)$'))
        end
        local available = max - used
        if available < 0 then available = 0 end
        local grant = amount
        if amount > available then
          if ARGV[3] == '1' then grant = available else grant = 0 end
        end
        if grant > 0 then
          local seq = redis.call('INCR', KEYS[2])
          redis.call('ZADD', KEYS[1], now, now .. ':' .. seq .. ':' .. grant)
          redis.call('PEXPIRE', KEYS[1], window)
          redis.call('PEXPIRE', KEYS[2], window)
        end
        return grant
        """;
}
