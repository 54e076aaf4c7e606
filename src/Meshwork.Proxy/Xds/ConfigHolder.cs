namespace Meshwork.Proxy.Xds;

/// <summary>
/// What consumes accepted config: it compiles everything first (throwing
/// <see cref="ProxyConfigException"/> when it cannot run it, which becomes the NACK), and only then
/// is the compiled result put in force, so a rejected response changes nothing.
/// </summary>
public interface IConfigConsumer
{
    object Prepare(AppliedConfig next, string typeUrl);

    void Commit(object prepared);
}

/// <summary>The proxy's current config: one volatile reference, swapped whole; readers never lock.</summary>
public sealed class ConfigHolder(IConfigConsumer? consumer = null)
{
    private readonly Lock _applying = new();
    private volatile AppliedConfig _current = AppliedConfig.Empty;

    public AppliedConfig Current => _current;

    /// <summary>True once listeners and clusters have arrived from meshd at least once.</summary>
    public bool HasConfig => _current.Versions.ContainsKey(ConfigApplier.ClusterType) && _current.Versions.ContainsKey(ConfigApplier.ListenerType);

    public void Swap(AppliedConfig next) => _current = next;

    /// <summary>Puts <paramref name="next"/> in force if the data path can run it; otherwise says why and keeps the current config.</summary>
    public bool TryApply(AppliedConfig next, string typeUrl, out string? error)
    {
        lock (_applying)
        {
            object? prepared = null;
            try
            {
                prepared = consumer?.Prepare(next, typeUrl);
            }
            catch (ProxyConfigException e)
            {
                error = e.Message;
                return false;
            }

            _current = next;
            if (prepared != null)
            {
                consumer!.Commit(prepared);
            }

            error = null;
            return true;
        }
    }
}
