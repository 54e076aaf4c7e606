using System.Collections.Concurrent;
using Meshwork.Pilot.Xds;
using Meshwork.Registry.AutoRegistration;

namespace Meshwork.Meshd.Discovery;

/// <summary>
/// Istio's WorkloadGroup auto-registration in local mode: a proxy that connects and announces the
/// ports it serves becomes a workload; it leaves (after the registry's grace period) when its
/// stream ends. Clients that serve nothing (proxyless gRPC callers) are not registered.
/// </summary>
public sealed class ProxyRegistrations(WorkloadRegistry workloads) : IProxyLifecycle
{
    private readonly ConcurrentDictionary<string, WorkloadConnection> _connections = new(StringComparer.Ordinal);

    public void Connected(XdsConnection connection)
    {
        var proxy = connection.Proxy;
        if (proxy.Ports.Count == 0 || proxy.IpAddress.Length == 0)
        {
            return;
        }

        _connections[connection.Id] = workloads.Connect(proxy.ToRegistration());
    }

    public void Disconnected(XdsConnection connection)
    {
        if (_connections.TryRemove(connection.Id, out var registration))
        {
            registration.Dispose();
        }
    }
}
