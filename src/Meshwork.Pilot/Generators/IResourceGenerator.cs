using Google.Protobuf.WellKnownTypes;
using Meshwork.Pilot.Model;
using Meshwork.Pilot.Push;

namespace Meshwork.Pilot.Generators;

/// <summary>One xDS resource ready to send: its name, the packed message and a version derived from its bytes.</summary>
public sealed record GeneratedResource(string Name, Any Resource)
{
    /// <summary>Changes exactly when the serialized resource changes, so unchanged resources are never resent.</summary>
    public string Version { get; } = Hash(Resource);

    private static string Hash(Any resource) =>
        Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(resource.Value.Span))[..16].ToLowerInvariant();
}

/// <summary>
/// Produces one xDS type for one proxy from an immutable snapshot: a pure function of its inputs.
/// Each generator also says whether a push concerns it, so an endpoint change regenerates only EDS.
/// </summary>
public interface IResourceGenerator
{
    string TypeUrl { get; }

    /// <summary>The resources for <paramref name="proxy"/>; <paramref name="names"/> null means all it should have.</summary>
    IReadOnlyList<GeneratedResource> Generate(MeshSnapshot snapshot, ProxyNode proxy, IReadOnlySet<string>? names);

    /// <summary>Whether <paramref name="request"/> can change what this generator produces for <paramref name="proxy"/>.</summary>
    bool Concerns(PushRequest request, ProxyNode proxy);

    /// <summary>
    /// The same question with the snapshot the push generates from, for generators that can narrow
    /// it by what the proxy sees (EDS: only endpoint changes of visible hosts). By default the
    /// snapshot is not needed.
    /// </summary>
    bool Concerns(PushRequest request, ProxyNode proxy, MeshSnapshot snapshot) => Concerns(request, proxy);
}

/// <summary>
/// A generator whose output is, wholly or but for a few resources, the same for every proxy that
/// agrees on a few fields (<see cref="SharedProxyInputs"/>): that part is generated once per distinct
/// reduced proxy and shared; <see cref="GenerateOwn"/> adds what is the proxy's own (CDS: its inbound
/// clusters). <see cref="IResourceGenerator.Generate"/> must equal
/// <c>SharedOutput.Merge(GenerateShared(snapshot, proxy, names), GenerateOwn(snapshot, proxy, names))</c>,
/// and generating the shared part from <see cref="SharedInputs"/> instead of the whole proxy must give
/// the same bytes.
/// </summary>
public interface ISharedResourceGenerator : IResourceGenerator
{
    /// <summary>The proxy reduced to what <see cref="GenerateShared"/> reads: two proxies with equal inputs get equal shared parts.</summary>
    ProxyNode SharedInputs(MeshSnapshot snapshot, ProxyNode proxy) => SharedProxyInputs.For(snapshot, proxy);

    /// <summary>The part of the output that depends on the proxy only through <see cref="SharedInputs"/>, sorted by name (ordinal).</summary>
    IReadOnlyList<GeneratedResource> GenerateShared(MeshSnapshot snapshot, ProxyNode proxy, IReadOnlySet<string>? names);

    /// <summary>
    /// The proxy's own resources, which read fields <see cref="SharedInputs"/> clears, sorted by name
    /// (ordinal); where the shared part has a resource of the same name, the shared one is kept.
    /// </summary>
    IReadOnlyList<GeneratedResource> GenerateOwn(MeshSnapshot snapshot, ProxyNode proxy, IReadOnlySet<string>? names) => [];
}

/// <summary>How a shared part and a proxy's own resources make its output.</summary>
public static class SharedOutput
{
    /// <summary>
    /// Both lists merged by name (each sorted, ordinal); a name in both keeps the shared resource.
    /// A view, not a copy: a thousand proxies' outputs of 4000 shared clusters and a few of their own
    /// would otherwise be a thousand lists of 4000 references.
    /// </summary>
    public static IReadOnlyList<GeneratedResource> Merge(IReadOnlyList<GeneratedResource> shared, IReadOnlyList<GeneratedResource> own) =>
        own.Count == 0 ? shared : new Merged(shared, own);

    private sealed class Merged : IReadOnlyList<GeneratedResource>
    {
        private readonly IReadOnlyList<GeneratedResource> _shared;
        private readonly GeneratedResource[] _own;
        private readonly int[] _positions;

        public Merged(IReadOnlyList<GeneratedResource> shared, IReadOnlyList<GeneratedResource> own)
        {
            _shared = shared;
            var kept = new List<GeneratedResource>(own.Count);
            var positions = new List<int>(own.Count);
            foreach (var resource in own)
            {
                var before = SharedBefore(resource.Name);
                if (before < shared.Count && shared[before].Name == resource.Name)
                {
                    continue;
                }

                // Its place in the merged list: the shared resources before it and the own ones kept so far.
                positions.Add(before + kept.Count);
                kept.Add(resource);
            }

            _own = [.. kept];
            _positions = [.. positions];
        }

        public int Count => _shared.Count + _own.Length;

        public GeneratedResource this[int index]
        {
            get
            {
                ArgumentOutOfRangeException.ThrowIfNegative(index);
                ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
                var at = Array.BinarySearch(_positions, index);
                return at >= 0 ? _own[at] : _shared[index - ~at];
            }
        }

        public IEnumerator<GeneratedResource> GetEnumerator()
        {
            var next = 0;
            for (var i = 0; i < Count; i++)
            {
                if (next < _positions.Length && _positions[next] == i)
                {
                    yield return _own[next++];
                }
                else
                {
                    yield return _shared[i - next];
                }
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

        /// <summary>How many shared resources sort before <paramref name="name"/> (ordinal).</summary>
        private int SharedBefore(string name)
        {
            int low = 0, high = _shared.Count;
            while (low < high)
            {
                var middle = low + ((high - low) / 2);
                if (string.CompareOrdinal(_shared[middle].Name, name) < 0)
                {
                    low = middle + 1;
                }
                else
                {
                    high = middle;
                }
            }

            return low;
        }
    }
}
