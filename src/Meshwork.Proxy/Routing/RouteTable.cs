using Envoy.Config.Route.V3;
using Microsoft.AspNetCore.Http;

namespace Meshwork.Proxy.Routing;

/// <summary>A matched request: the route and the virtual host it was found in.</summary>
public readonly record struct RouteMatchResult(CompiledRoute Route, CompiledVirtualHost VirtualHost);

/// <summary>
/// An Envoy RouteConfiguration compiled once into an immutable table the pipeline queries per
/// request: virtual host by authority, then the first route whose conditions hold. Compiling
/// validates everything and throws <see cref="ProxyConfigException"/> naming the virtual host,
/// route and field, which becomes the NACK; a table that compiled can be swapped in whole.
/// Randomness (runtime_fraction) comes from the injected source unless the caller passes a value.
/// </summary>
public sealed class RouteTable
{
    private readonly VirtualHostSelector _selector;
    private readonly Func<double> _random;

    private RouteTable(string name, CompiledVirtualHost[] virtualHosts, VirtualHostSelector selector, IReadOnlyList<string> internalOnlyHeaders, Func<double> random)
    {
        Name = name;
        VirtualHosts = virtualHosts;
        _selector = selector;
        InternalOnlyHeaders = internalOnlyHeaders;
        _random = random;
    }

    public string Name { get; }

    public IReadOnlyList<CompiledVirtualHost> VirtualHosts { get; }

    /// <summary>Headers the pipeline strips from requests that are not internal (internal_only_headers).</summary>
    public IReadOnlyList<string> InternalOnlyHeaders { get; }

    public static RouteTable Compile(RouteConfiguration config, Func<double>? random = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        var where = $"route_configuration \"{config.Name}\"";
        var tableFilters = PerFilterConfig.Parse(config.TypedPerFilterConfig, null, where);
        var tableRequest = HeaderMutations.Compile(config.RequestHeadersToAdd, config.RequestHeadersToRemove, $"{where}: request headers");
        var tableResponse = HeaderMutations.Compile(config.ResponseHeadersToAdd, config.ResponseHeadersToRemove, $"{where}: response headers");
        var tableMirrors = config.RequestMirrorPolicies.Select(m => MirrorPolicy.Compile(m, where)).ToArray();

        // Envoy's default cap on direct_response bodies is 4 KiB.
        var maxBody = config.MaxDirectResponseBodySizeBytes ?? 4096;

        var hosts = new CompiledVirtualHost[config.VirtualHosts.Count];
        for (var i = 0; i < hosts.Length; i++)
        {
            var host = config.VirtualHosts[i];
            var at = $"{where}: virtual_host \"{host.Name}\"";
            if (host.Name.Length == 0)
            {
                throw new ProxyConfigException($"{where}: virtual_hosts[{i}] has no name");
            }

            if (host.Domains.Count == 0)
            {
                throw new ProxyConfigException($"{at}: domains must not be empty");
            }

            var defaults = new RouteDefaults(
                PerFilterConfig.Parse(host.TypedPerFilterConfig, host.Cors, at),
                tableFilters,
                HeaderMutations.Compile(host.RequestHeadersToAdd, host.RequestHeadersToRemove, $"{at}: request headers"),
                HeaderMutations.Compile(host.ResponseHeadersToAdd, host.ResponseHeadersToRemove, $"{at}: response headers"),
                tableRequest,
                tableResponse,
                config.MostSpecificHeaderMutationsWins,
                host.RetryPolicy != null ? RetryPolicy.Compile(host.RetryPolicy, $"{at}: retry_policy") : null,
                host.RequestMirrorPolicies.Select(m => MirrorPolicy.Compile(m, at)).ToArray(),
                tableMirrors,
                host.IncludeRequestAttemptCount,
                host.IncludeAttemptCountInResponse,
                maxBody);
            var routes = new CompiledRoute[host.Routes.Count];
            for (var r = 0; r < routes.Length; r++)
            {
                var route = host.Routes[r];
                var name = route.Name.Length > 0 ? $"route \"{route.Name}\"" : $"routes[{r}]";
                routes[r] = RouteCompiler.Compile(route, defaults, $"{at}: {name}");
            }

            hosts[i] = new CompiledVirtualHost(host.Name, [.. host.Domains], routes, host.RequireTls);
        }

        var selector = VirtualHostSelector.Build(hosts, config.IgnorePortInHostMatching, where);
        return new RouteTable(config.Name, hosts, selector, [.. config.InternalOnlyHeaders], random ?? Random.Shared.NextDouble);
    }

    /// <summary>The route for this request, or null when no virtual host or no route matches (the pipeline answers 404, flag NR).</summary>
    public RouteMatchResult? Match(HttpRequest request) => Match(request, _random());

    /// <summary>As <see cref="Match(HttpRequest)"/> with the random number in [0, 1) for runtime_fraction conditions given (one per request, as Envoy draws one per stream).</summary>
    public RouteMatchResult? Match(HttpRequest request, double random01)
    {
        var host = _selector.Find(request.Host.Value);
        if (host?.Match(request, random01) is { } route)
        {
            return new RouteMatchResult(route, host);
        }

        return null;
    }

    /// <summary>The virtual host an authority selects, or null.</summary>
    public CompiledVirtualHost? FindVirtualHost(string? authority) => _selector.Find(authority);
}
