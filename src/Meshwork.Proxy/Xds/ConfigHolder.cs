namespace Meshwork.Proxy.Xds;

/// <summary>The proxy's current config: one volatile reference, swapped whole; readers never lock.</summary>
public sealed class ConfigHolder
{
    private volatile AppliedConfig _current = AppliedConfig.Empty;

    public AppliedConfig Current => _current;

    /// <summary>True once listeners and clusters have arrived from meshd at least once.</summary>
    public bool HasConfig => _current.Versions.ContainsKey(ConfigApplier.ClusterType) && _current.Versions.ContainsKey(ConfigApplier.ListenerType);

    public void Swap(AppliedConfig next) => _current = next;
}
