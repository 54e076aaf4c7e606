using System.Net;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Core.V3;
using Envoy.Config.Endpoint.V3;
using Meshwork.Proxy.Upstream;
using Microsoft.Extensions.Time.Testing;

namespace Meshwork.Proxy.Tests.Upstream;

/// <summary>Builders for clusters and assignments, and a cluster set on a fake clock with seeded randomness.</summary>
internal static class UpstreamTestClusters
{
    public static Cluster Eds(string name, Cluster.Types.LbPolicy policy = Cluster.Types.LbPolicy.RoundRobin) => new()
    {
        Name = name,
        Type = Cluster.Types.DiscoveryType.Eds,
        EdsClusterConfig = new Cluster.Types.EdsClusterConfig { EdsConfig = new ConfigSource { Ads = new AggregatedConfigSource() }, ServiceName = name },
        LbPolicy = policy,
        ConnectTimeout = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(TimeSpan.FromSeconds(1)),
    };

    public static Cluster Static(string name, params (string Host, int Port)[] endpoints)
    {
        var cluster = new Cluster { Name = name, Type = Cluster.Types.DiscoveryType.Static, LoadAssignment = Assignment(name, endpoints.Select(e => Host(e.Host, e.Port)).ToArray()) };
        return cluster;
    }

    public static LbEndpoint Host(string address, int port = 80, uint weight = 1, HealthStatus health = HealthStatus.Healthy) => new()
    {
        Endpoint = new Endpoint { Address = new Address { SocketAddress = new Envoy.Config.Core.V3.SocketAddress { Address = address, PortValue = (uint)port } } },
        LoadBalancingWeight = weight,
        HealthStatus = health,
    };

    public static ClusterLoadAssignment Assignment(string name, params LbEndpoint[] hosts) => new()
    {
        ClusterName = name,
        Endpoints = { new LocalityLbEndpoints { LbEndpoints = { hosts } } },
    };

    public static LocalityLbEndpoints Locality(string zone, uint weight, uint priority, params LbEndpoint[] hosts) => new()
    {
        Locality = new Locality { Region = "r", Zone = zone },
        LoadBalancingWeight = weight,
        Priority = priority,
        LbEndpoints = { hosts },
    };

    public static (ClusterSet Set, FakeTimeProvider Time) NewSet(int seed = 1, UpstreamOptions? options = null)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var random = new Random(seed);
        options = (options ?? new UpstreamOptions()) with { Time = time, Random = random.NextDouble };
        return (new ClusterSet(options), time);
    }

    public static UpstreamCluster ApplyOne(this ClusterSet set, Cluster cluster, ClusterLoadAssignment? assignment = null)
    {
        var endpoints = new Dictionary<string, ClusterLoadAssignment>();
        if (assignment != null)
        {
            endpoints[cluster.EdsClusterConfig?.ServiceName is { Length: > 0 } s ? s : cluster.Name] = assignment;
        }

        set.Apply(new Dictionary<string, Cluster> { [cluster.Name] = cluster }, endpoints);
        Assert.True(set.TryGet(cluster.Name, out var upstream));
        return upstream;
    }

    /// <summary>How often each address is picked in <paramref name="picks"/> picks.</summary>
    public static Dictionary<string, int> Distribution(UpstreamCluster cluster, int picks, Func<int, PickContext>? context = null)
    {
        var counts = new Dictionary<string, int>();
        for (var i = 0; i < picks; i++)
        {
            var picked = cluster.Pick(context?.Invoke(i) ?? default);
            var key = picked?.Address ?? "none";
            counts[key] = counts.GetValueOrDefault(key) + 1;
        }

        return counts;
    }

    public static string Ip(int last) => IPAddress.Parse("10.0.0." + last).ToString();
}
