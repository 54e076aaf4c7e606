using Envoy.Config.Listener.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;

namespace Meshwork.Proxy.Xds;

/// <summary>Finds the HTTP connection managers inside a listener, and the route tables they load over RDS.</summary>
public static class ListenerRoutes
{
    public const string HcmTypeUrl = "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager";

    public static IEnumerable<HttpConnectionManager> Managers(Listener listener)
    {
        if (listener.ApiListener?.ApiListener_ is { } api && api.TypeUrl == HcmTypeUrl)
        {
            yield return api.Unpack<HttpConnectionManager>();
        }

        var chains = listener.FilterChains.AsEnumerable();
        if (listener.DefaultFilterChain != null)
        {
            chains = chains.Append(listener.DefaultFilterChain);
        }

        foreach (var filter in chains.SelectMany(c => c.Filters))
        {
            if (filter.TypedConfig?.TypeUrl == HcmTypeUrl)
            {
                yield return filter.TypedConfig.Unpack<HttpConnectionManager>();
            }
        }
    }

    public static IEnumerable<string> Names(Listener listener) =>
        Managers(listener).Where(m => m.Rds != null).Select(m => m.Rds.RouteConfigName);
}
