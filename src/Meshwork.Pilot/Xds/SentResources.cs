using Meshwork.Pilot.Generators;

namespace Meshwork.Pilot.Xds;

/// <summary>
/// What a proxy holds of one type, by name and version. After a response it holds exactly a
/// generated output that, at 1000 proxies, hundreds of others hold too (the same 4000 endpoint
/// assignments), so it is kept as a reference to that output and copied into a dictionary of its own
/// only when it diverges from one (initial versions, a subscription change, a partial SotW answer).
/// A dictionary per proxy and type was a fifth of meshd's heap at 1000 proxies and 1000 services.
/// </summary>
public sealed class SentResources
{
    private GeneratedSet? _basis;
    private Dictionary<string, string>? _versions;

    public int Count => _basis?.Count ?? _versions?.Count ?? 0;

    public IEnumerable<string> Names => _basis?.Select(r => r.Name) ?? _versions?.Keys ?? Enumerable.Empty<string>();

    /// <summary>The output the proxy holds exactly, or null when it holds something else.</summary>
    internal GeneratedSet? Basis => _basis;

    public bool TryGetVersion(string name, out string version)
    {
        if (_basis != null)
        {
            return _basis.TryGetVersion(name, out version);
        }

        version = string.Empty;
        return _versions != null && _versions.TryGetValue(name, out version!);
    }

    public void Set(string name, string version) => Own()[name] = version;

    public bool Remove(string name) => Own().Remove(name);

    public void Clear()
    {
        _basis = null;
        _versions = null;
    }

    /// <summary>The proxy now holds exactly <paramref name="output"/>.</summary>
    internal void Become(GeneratedSet output)
    {
        _basis = output;
        _versions = null;
    }

    /// <summary>Keeps what the proxy holds as a dictionary of its own, before changing it by name.</summary>
    internal void Detach() => Own();

    private Dictionary<string, string> Own()
    {
        if (_versions == null)
        {
            _versions = new Dictionary<string, string>(_basis?.Count ?? 0, StringComparer.Ordinal);
            foreach (var resource in _basis ?? Enumerable.Empty<GeneratedResource>())
            {
                _versions[resource.Name] = resource.Version;
            }

            _basis = null;
        }

        return _versions;
    }
}
