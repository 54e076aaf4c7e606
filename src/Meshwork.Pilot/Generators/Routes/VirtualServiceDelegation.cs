using Meshwork.Config.Networking;
using Meshwork.Config.Values;

namespace Meshwork.Pilot.Generators.Routes;

/// <summary>
/// VirtualService delegation (Istio's mergeVirtualServicesIfNeeded): a root VirtualService's HTTP
/// rule with <c>delegate</c> is replaced by the delegate's rules, each narrowed by the root rule's
/// matches and inheriting the root rule's policies it does not set itself. A delegate has no hosts
/// and applies only through its roots; it must be exported to the root's namespace. A delegate rule
/// whose match cannot be a subset of the root's (a conflict) is dropped, as in Istio.
/// </summary>
internal static class VirtualServiceDelegation
{
    public static IReadOnlyList<BoundVirtualService> Merge(IReadOnlyList<BoundVirtualService> virtualServices)
    {
        var delegates = virtualServices.Where(v => v.Spec.Hosts.IsEmpty).ToDictionary(v => v.Key, StringComparer.Ordinal);
        var output = new List<BoundVirtualService>();
        foreach (var virtualService in virtualServices.Where(v => !v.Spec.Hosts.IsEmpty))
        {
            if (virtualService.Spec.Http.All(h => h.Delegate == null))
            {
                output.Add(virtualService);
                continue;
            }

            var merged = new List<HttpRoute>();
            foreach (var route in virtualService.Spec.Http)
            {
                if (route.Delegate is not { } reference)
                {
                    merged.Add(route);
                    continue;
                }

                var ns = reference.Namespace.Length > 0 ? reference.Namespace : virtualService.Namespace;
                if (delegates.TryGetValue($"{ns}/{reference.Name}", out var target) && target.IsVisibleTo(virtualService.Namespace))
                {
                    merged.AddRange(target.Spec.Http.Select(d => MergeRoute(route, d)).OfType<HttpRoute>());
                }
            }

            output.Add(virtualService with { Spec = virtualService.Spec with { Http = new ValueList<HttpRoute>(merged) } });
        }

        return output;
    }

    /// <summary>Istio's mergeHTTPRoute: the delegate rule narrowed by the root's matches, with the root's policies as defaults.</summary>
    private static HttpRoute? MergeRoute(HttpRoute root, HttpRoute delegated)
    {
        var matches = MergeMatches(root.Match, delegated.Match);
        if (matches == null)
        {
            return null;
        }

        return delegated with
        {
            Match = matches.Value,
            Name = delegated.Name.Length == 0 ? root.Name : root.Name.Length > 0 ? $"{root.Name}-{delegated.Name}" : delegated.Name,
            Rewrite = delegated.Rewrite ?? root.Rewrite,
            Timeout = delegated.Timeout ?? root.Timeout,
            Retries = delegated.Retries ?? root.Retries,
            Fault = delegated.Fault ?? root.Fault,
            Mirror = delegated.Mirror ?? root.Mirror,
            MirrorPercent = delegated.MirrorPercent ?? root.MirrorPercent,
            MirrorPercentage = delegated.MirrorPercentage ?? root.MirrorPercentage,
            CorsPolicy = delegated.CorsPolicy ?? root.CorsPolicy,
            Headers = delegated.Headers ?? root.Headers,
        };
    }

    /// <summary>Every delegate match must fit inside some root match; each fitting pair becomes one merged match. Null on conflict.</summary>
    private static ValueList<HttpMatchRequest>? MergeMatches(ValueList<HttpMatchRequest> root, ValueList<HttpMatchRequest> delegated)
    {
        if (root.IsEmpty)
        {
            return delegated;
        }

        if (delegated.IsEmpty)
        {
            return root;
        }

        var output = new List<HttpMatchRequest>();
        foreach (var leaf in delegated)
        {
            var fitting = root.Where(r => !Conflicts(r, leaf)).ToList();
            if (fitting.Count == 0)
            {
                return null;
            }

            output.AddRange(fitting.Select(r => MergeMatch(r, leaf)));
        }

        return new ValueList<HttpMatchRequest>(output);
    }

    private static HttpMatchRequest MergeMatch(HttpMatchRequest root, HttpMatchRequest leaf) => leaf with
    {
        Name = leaf.Name.Length == 0 ? root.Name : root.Name.Length > 0 ? $"{root.Name}-{leaf.Name}" : leaf.Name,
        Uri = leaf.Uri ?? root.Uri,
        Scheme = leaf.Scheme ?? root.Scheme,
        Method = leaf.Method ?? root.Method,
        Authority = leaf.Authority ?? root.Authority,
        Headers = Union(root.Headers, leaf.Headers),
        WithoutHeaders = Union(root.WithoutHeaders, leaf.WithoutHeaders),
        QueryParams = Union(root.QueryParams, leaf.QueryParams),
        Port = leaf.Port != 0 ? leaf.Port : root.Port,
    };

    private static ValueMap<string, StringMatch?> Union(ValueMap<string, StringMatch?> root, ValueMap<string, StringMatch?> leaf) =>
        new(root.Where(r => !leaf.ContainsKey(r.Key)).Concat(leaf));

    /// <summary>Istio's hasConflict: the leaf must be a subset of the root on every condition both set.</summary>
    private static bool Conflicts(HttpMatchRequest root, HttpMatchRequest leaf)
    {
        if (StringConflict(root.Uri, leaf.Uri) || StringConflict(root.Scheme, leaf.Scheme)
            || StringConflict(root.Method, leaf.Method) || StringConflict(root.Authority, leaf.Authority))
        {
            return true;
        }

        if (leaf.Headers.Any(h => StringConflict(root.Headers.GetValueOrDefault(h.Key), h.Value))
            || leaf.WithoutHeaders.Any(h => StringConflict(root.Headers.GetValueOrDefault(h.Key), h.Value))
            || leaf.QueryParams.Any(q => StringConflict(root.QueryParams.GetValueOrDefault(q.Key), q.Value)))
        {
            return true;
        }

        return root.IgnoreUriCase != leaf.IgnoreUriCase || (root.Port > 0 && leaf.Port > 0 && root.Port != leaf.Port);
    }

    /// <summary>Istio's stringMatchConflict: regexes always conflict; an exact root admits only the same exact; a prefix root admits longer prefixes and exacts under it.</summary>
    private static bool StringConflict(StringMatch? root, StringMatch? leaf)
    {
        if (root == null || leaf == null)
        {
            return false;
        }

        if (root.Regex is { Length: > 0 } || leaf.Regex is { Length: > 0 })
        {
            return true;
        }

        if (root.Exact is { Length: > 0 } exact)
        {
            return leaf.Prefix is { Length: > 0 } || leaf.Exact != exact;
        }

        if (root.Prefix is { Length: > 0 } prefix)
        {
            if (leaf.Prefix is { Length: > 0 } leafPrefix)
            {
                return !leafPrefix.StartsWith(prefix, StringComparison.Ordinal);
            }

            if (leaf.Exact is { Length: > 0 } leafExact)
            {
                return !leafExact.StartsWith(prefix, StringComparison.Ordinal);
            }
        }

        return true;
    }
}
