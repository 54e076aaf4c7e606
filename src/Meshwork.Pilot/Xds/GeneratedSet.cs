using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Meshwork.Pilot.Generators;

namespace Meshwork.Pilot.Xds;

/// <summary>
/// One generator output as the cache holds it: the resources, and a fingerprint of their names and
/// versions, computed once however many proxies are sent the same output. A stream that has already
/// brought a proxy in line with an output of the same fingerprint has nothing to diff.
/// </summary>
internal sealed class GeneratedSet : IReadOnlyList<GeneratedResource>
{
    private readonly IReadOnlyList<GeneratedResource> _resources;
    private readonly GeneratedSet? _shared;
    private readonly IReadOnlyList<GeneratedResource>? _own;
    private string? _fingerprint;
    private Dictionary<string, string>? _versions;
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<GeneratedSet, Delta> _deltas = new();

    private GeneratedSet(IReadOnlyList<GeneratedResource> resources, GeneratedSet? shared = null, IReadOnlyList<GeneratedResource>? own = null)
    {
        _resources = resources;
        _shared = shared;
        _own = own;
    }

    public int Count => _resources.Count;

    public GeneratedResource this[int index] => _resources[index];

    /// <summary>
    /// Equal exactly when the names and versions (so the bytes) of every resource are equal. A merged
    /// output's is derived from its shared part's and its own resources', which determine it, so a
    /// proxy's thousands of shared clusters are not hashed again for each proxy.
    /// </summary>
    public string Fingerprint => _fingerprint ??= _shared == null ? Compute(null, _resources) : Compute(_shared.Fingerprint, _own!);

    /// <summary>The version of the resource named <paramref name="name"/>; the name index is built once for every proxy that holds this output.</summary>
    public bool TryGetVersion(string name, out string version)
    {
        if (_shared != null && _shared.TryGetVersion(name, out version))
        {
            return true;
        }

        if (_shared != null)
        {
            // A merged output: the proxy's own few resources, which a shared name overrides.
            foreach (var resource in _own!)
            {
                if (resource.Name == name)
                {
                    version = resource.Version;
                    return true;
                }
            }

            version = string.Empty;
            return false;
        }

        var versions = _versions;
        if (versions == null)
        {
            versions = new Dictionary<string, string>(_resources.Count, StringComparer.Ordinal);
            foreach (var resource in _resources)
            {
                versions.TryAdd(resource.Name, resource.Version);
            }

            _versions = versions;
        }

        return versions.TryGetValue(name, out version!);
    }

    /// <summary>
    /// What changed from <paramref name="before"/> to this output (resources new or of another
    /// version, and names gone), computed once for all the proxies that held <paramref name="before"/>.
    /// </summary>
    public Delta DeltaFrom(GeneratedSet before)
    {
        // Weakly keyed: an output no proxy holds any more is not kept alive by its successor.
        return _deltas.GetValue(before, b =>
        {
            var changed = _resources.Where(r => !b.TryGetVersion(r.Name, out var v) || v != r.Version).ToList();
            var removed = b._resources.Where(r => !TryGetVersion(r.Name, out _)).Select(r => r.Name).ToList();
            return new Delta(changed, removed);
        });
    }

    /// <summary>
    /// This output with each resource that <paramref name="earlier"/> holds at the same version
    /// replaced by the earlier object (the same bytes), so unchanged resources are held once.
    /// </summary>
    public GeneratedSet Reusing(GeneratedSet earlier)
    {
        if (_shared != null || earlier._shared != null)
        {
            return this;
        }

        var byName = new Dictionary<string, GeneratedResource>(earlier._resources.Count, StringComparer.Ordinal);
        foreach (var resource in earlier._resources)
        {
            byName.TryAdd(resource.Name, resource);
        }

        var reused = new GeneratedResource[_resources.Count];
        for (var i = 0; i < reused.Length; i++)
        {
            var resource = _resources[i];
            reused[i] = byName.TryGetValue(resource.Name, out var before) && before.Version == resource.Version ? before : resource;
        }

        return new GeneratedSet(reused) { _fingerprint = _fingerprint };
    }

    public static GeneratedSet Of(IReadOnlyList<GeneratedResource> resources) => resources as GeneratedSet ?? new GeneratedSet(resources);

    /// <summary>A proxy's output: the shared part and its own resources (<see cref="SharedOutput.Merge"/>).</summary>
    public static GeneratedSet Merge(GeneratedSet shared, IReadOnlyList<GeneratedResource> own) =>
        new(SharedOutput.Merge(shared, own), shared, own);

    /// <summary>Resources to send and names to remove, from one output to another.</summary>
    public sealed record Delta(IReadOnlyList<GeneratedResource> Changed, IReadOnlyList<string> Removed);

    public IEnumerator<GeneratedResource> GetEnumerator() => _resources.GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    private static string Compute(string? basis, IReadOnlyList<GeneratedResource> resources)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = ArrayPool<byte>.Shared.Rent(1024);
        try
        {
            // Tagged, so a merged output's stream can never be read as a plain list's.
            Append(hash, ref buffer, basis == null ? "list" : "merged " + basis);

            foreach (var resource in resources)
            {
                Append(hash, ref buffer, resource.Name);
                Append(hash, ref buffer, resource.Version);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return Convert.ToHexString(hash.GetHashAndReset());
    }

    /// <summary>Length-prefixed, so no two lists of names and versions run together the same way.</summary>
    private static void Append(IncrementalHash hash, ref byte[] buffer, string text)
    {
        var needed = Encoding.UTF8.GetMaxByteCount(text.Length) + 4;
        if (buffer.Length < needed)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            buffer = ArrayPool<byte>.Shared.Rent(needed);
        }

        var length = Encoding.UTF8.GetBytes(text, buffer.AsSpan(4));
        BinaryPrimitives.WriteInt32LittleEndian(buffer, length);
        hash.AppendData(buffer, 0, length + 4);
    }
}
