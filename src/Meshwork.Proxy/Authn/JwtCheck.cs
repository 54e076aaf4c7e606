namespace Meshwork.Proxy.Authn;

/// <summary>
/// One request's JWT verification in progress: tokens found at each location, each verified at most
/// once, and the tokens that verified (what the request then carries as its authenticated
/// origin). Not shared between requests.
/// </summary>
internal sealed class JwtCheck(JwtAuthnPlan plan, HttpRequest request, long now)
{
    private readonly Dictionary<(JwtLocation Location, JwtProviderPlan Provider), JwtStatus> _verified = [];

    /// <summary>Tokens that verified, with the provider and location they verified by.</summary>
    public List<(JwtToken Token, JwtProviderPlan Provider, JwtLocation Location)> Accepted { get; } = [];

    public JwtStatus ForProvider(JwtProviderPlan provider)
    {
        var status = JwtStatus.Missing;
        foreach (var location in provider.Locations)
        {
            status = Verify(location, provider);
            if (status != JwtStatus.Missing)
            {
                return status;
            }
        }

        return status;
    }

    /// <summary>
    /// Every token present at any provider's locations, each checked by the provider that names its
    /// issuer: Missing when there is none, the first failure, or Ok.
    /// </summary>
    public JwtStatus AnyPresent()
    {
        var result = JwtStatus.Missing;
        foreach (var location in plan.AllLocations)
        {
            var raw = location.Extract(request);
            if (raw == null)
            {
                continue;
            }

            var status = JwtToken.TryParse(raw, out var token);
            if (status == JwtStatus.Ok)
            {
                var provider = plan.ProviderFor(token!.Issuer, location);
                status = provider == null ? JwtStatus.UnknownIssuer : Verify(location, provider);
            }

            if (status != JwtStatus.Ok)
            {
                return status;
            }

            result = JwtStatus.Ok;
        }

        return result;
    }

    private JwtStatus Verify(JwtLocation location, JwtProviderPlan provider)
    {
        if (_verified.TryGetValue((location, provider), out var known))
        {
            return known;
        }

        var raw = location.Extract(request);
        JwtStatus status;
        if (raw == null)
        {
            status = JwtStatus.Missing;
        }
        else
        {
            status = JwtToken.TryParse(raw, out var token);
            if (status == JwtStatus.Ok)
            {
                status = provider.Verify(token!, now);
                if (status == JwtStatus.Ok)
                {
                    Accepted.Add((token!, provider, location));
                }
            }
        }

        _verified[(location, provider)] = status;
        return status;
    }
}
