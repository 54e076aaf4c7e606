using Envoy.Config.Route.V3;
using Google.Protobuf.WellKnownTypes;
using Meshwork.Config.Networking;

namespace Meshwork.Pilot.Generators.Routes;

/// <summary>A DestinationRule's consistentHash → the route's hash policy (Istio's consistentHashToHashPolicy): header, cookie (with TTL and path), source IP or query parameter.</summary>
internal static class HashPolicyTranslator
{
    public static RouteAction.Types.HashPolicy? Translate(ConsistentHashLb? hash)
    {
        if (hash == null)
        {
            return null;
        }

        if (hash.HttpHeaderName is { } header)
        {
            return new RouteAction.Types.HashPolicy { Header = new RouteAction.Types.HashPolicy.Types.Header { HeaderName = header } };
        }

        if (hash.HttpCookie is { } cookie)
        {
            var translated = new RouteAction.Types.HashPolicy.Types.Cookie { Name = cookie.Name, Path = cookie.Path };
            if (cookie.Ttl is { } ttl)
            {
                translated.Ttl = Duration.FromTimeSpan(ttl);
            }

            foreach (var attribute in cookie.Attributes)
            {
                translated.Attributes.Add(new RouteAction.Types.HashPolicy.Types.CookieAttribute { Name = attribute.Name, Value = attribute.Value });
            }

            return new RouteAction.Types.HashPolicy { Cookie = translated };
        }

        if (hash.UseSourceIp is { } sourceIp)
        {
            return new RouteAction.Types.HashPolicy { ConnectionProperties = new RouteAction.Types.HashPolicy.Types.ConnectionProperties { SourceIp = sourceIp } };
        }

        if (hash.HttpQueryParameterName is { } query)
        {
            return new RouteAction.Types.HashPolicy { QueryParameter = new RouteAction.Types.HashPolicy.Types.QueryParameter { Name = query } };
        }

        return null;
    }
}
