using System.Collections.Immutable;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace Meshwork.Proxy.Xds;

/// <summary>A resource as it arrives in a delta response.</summary>
public sealed record IncomingResource(string Name, string Version, Any Resource);

/// <summary>
/// Checks a response's resources and builds the next <see cref="AppliedConfig"/> from them, or says
/// precisely why it cannot (that text is what the NACK carries). All or nothing: one bad resource
/// rejects the response and the current config stays.
/// </summary>
public static class ConfigApplier
{
    public const string ListenerType = "type.googleapis.com/envoy.config.listener.v3.Listener";
    public const string RouteType = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration";
    public const string ClusterType = "type.googleapis.com/envoy.config.cluster.v3.Cluster";
    public const string EndpointType = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment";

    public static (AppliedConfig? Next, string? Error) Apply(AppliedConfig current, string typeUrl, IReadOnlyList<IncomingResource> resources, IReadOnlyList<string> removed, string systemVersion)
    {
        try
        {
            var next = typeUrl switch
            {
                ListenerType => current with { Listeners = Merge(current.Listeners, resources, removed, Listener.Parser, CheckListener, l => l.Name) },
                RouteType => current with { Routes = Merge(current.Routes, resources, removed, RouteConfiguration.Parser, CheckRoute, r => r.Name) },
                ClusterType => current with { Clusters = Merge(current.Clusters, resources, removed, Cluster.Parser, CheckCluster, c => c.Name) },
                EndpointType => current with { Endpoints = Merge(current.Endpoints, resources, removed, ClusterLoadAssignment.Parser, CheckEndpoints, e => e.ClusterName) },
                _ => throw new RejectedException($"unsupported type {typeUrl}"),
            };
            return (next with { Versions = next.Versions.SetItem(typeUrl, systemVersion) }, null);
        }
        catch (RejectedException e)
        {
            return (null, e.Message);
        }
    }

    private static ImmutableSortedDictionary<string, AppliedResource<T>> Merge<T>(
        ImmutableSortedDictionary<string, AppliedResource<T>> current,
        IReadOnlyList<IncomingResource> resources,
        IReadOnlyList<string> removed,
        MessageParser<T> parser,
        Func<T, string?> check,
        Func<T, string> nameOf)
        where T : IMessage<T>
    {
        var builder = current.ToBuilder();
        foreach (var name in removed)
        {
            builder.Remove(name);
        }

        var expectedType = "type.googleapis.com/" + parser.ParseFrom(ByteString.Empty).Descriptor.FullName;
        foreach (var incoming in resources)
        {
            if (incoming.Resource.TypeUrl != expectedType)
            {
                throw new RejectedException($"resource {incoming.Name}: type {incoming.Resource.TypeUrl} in a response for {expectedType}");
            }

            T message;
            try
            {
                message = parser.ParseFrom(incoming.Resource.Value);
            }
            catch (InvalidProtocolBufferException e)
            {
                throw new RejectedException($"resource {incoming.Name}: cannot decode: {e.Message}");
            }

            if (nameOf(message) != incoming.Name)
            {
                throw new RejectedException($"resource {incoming.Name}: carries the name \"{nameOf(message)}\"");
            }

            if (check(message) is { } problem)
            {
                throw new RejectedException($"resource {incoming.Name}: {problem}");
            }

            builder[incoming.Name] = new AppliedResource<T>(incoming.Name, incoming.Version, message);
        }

        return builder.ToImmutable();
    }

    private static string? CheckListener(Listener listener)
    {
        if (listener.ApiListener == null && listener.Address?.SocketAddress == null && listener.Address?.Pipe == null)
        {
            return "a listener needs an address";
        }

        if (listener.Address?.SocketAddress is { } socket && (socket.PortSpecifierCase != Envoy.Config.Core.V3.SocketAddress.PortSpecifierOneofCase.PortValue || socket.PortValue > 65535))
        {
            return $"listener port {socket.PortValue} is not a port";
        }

        foreach (var manager in ListenerRoutes.Managers(listener))
        {
            if (manager.RouteSpecifierCase == Envoy.Extensions.Filters.Network.HttpConnectionManager.V3.HttpConnectionManager.RouteSpecifierOneofCase.None)
            {
                return "an HTTP connection manager needs rds or route_config";
            }
        }

        return null;
    }

    private static string? CheckRoute(RouteConfiguration route) =>
        route.VirtualHosts.SelectMany(v => v.Routes).FirstOrDefault(r => r.Match == null || r.Match.PathSpecifierCase == RouteMatch.PathSpecifierOneofCase.None) is { } bad
            ? $"route {bad.Name}: match needs a path specifier (prefix, path or safe_regex)"
            : null;

    private static string? CheckCluster(Cluster cluster) => cluster.Type switch
    {
        Cluster.Types.DiscoveryType.Eds when cluster.EdsClusterConfig?.EdsConfig == null => "an EDS cluster needs eds_cluster_config.eds_config",
        Cluster.Types.DiscoveryType.Static or Cluster.Types.DiscoveryType.StrictDns or Cluster.Types.DiscoveryType.LogicalDns
            when cluster.LoadAssignment?.Endpoints.SelectMany(e => e.LbEndpoints).Any(e => e.Endpoint?.Address == null) == true => "an endpoint has no address",
        _ => null,
    };

    private static string? CheckEndpoints(ClusterLoadAssignment assignment)
    {
        foreach (var locality in assignment.Endpoints)
        {
            foreach (var endpoint in locality.LbEndpoints)
            {
                if (endpoint.Endpoint?.Address is not { } address || (address.SocketAddress == null && address.Pipe == null))
                {
                    return "an endpoint has no address";
                }
            }
        }

        return null;
    }

    private sealed class RejectedException(string message) : Exception(message);
}
