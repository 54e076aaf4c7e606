using System.Collections.Immutable;
using Meshwork.Registry.Model;

namespace Meshwork.Registry.AutoRegistration;

/// <summary>The auto-registered workloads at one moment: immutable and versioned, swapped whole.</summary>
public sealed record WorkloadSet(long Version, ImmutableSortedDictionary<WorkloadKey, WorkloadInstance> Workloads)
{
    public static WorkloadSet Empty { get; } = new(0, ImmutableSortedDictionary.Create<WorkloadKey, WorkloadInstance>());

    public IEnumerable<WorkloadInstance> All => Workloads.Values;

    public WorkloadInstance? Get(WorkloadKey key) => Workloads.GetValueOrDefault(key);
}

/// <summary>What one change to the auto-registered workloads did: the keys that joined, changed (labels, ports, health...) and left.</summary>
public sealed record WorkloadChange(
    WorkloadSet Previous,
    WorkloadSet Current,
    IReadOnlyList<WorkloadKey> Added,
    IReadOnlyList<WorkloadKey> Updated,
    IReadOnlyList<WorkloadKey> Removed);
