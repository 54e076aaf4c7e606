using Envoy.Config.Route.V3;
using Meshwork.Config.Networking;
using Meshwork.Config.Values;
using Meshwork.Pilot.Generators.Routes;

namespace Meshwork.Pilot.Tests.Generators.Routes;

public class RouteMatchTranslatorTests
{
    [Fact]
    public void Translate_NoMatch_PrefixSlashWithoutCaseFlag()
    {
        var match = RouteMatchTranslator.Translate(null);

        Assert.Equal("/", match.Prefix);
        Assert.Null(match.CaseSensitive);
    }

    [Fact]
    public void Translate_RegexStar_IsPresenceNotRe2()
    {
        var match = RouteMatchTranslator.Translate(new HttpMatchRequest { Headers = Map(("x-any", new StringMatch { Regex = "*" })) });

        var header = Assert.Single(match.Headers);
        Assert.True(header.PresentMatch);
    }

    [Fact]
    public void Translate_WithoutHeadersExact_InvertsAndTreatsMissingAsEmpty()
    {
        var match = RouteMatchTranslator.Translate(new HttpMatchRequest
        {
            WithoutHeaders = Map(("x-version", new StringMatch { Exact = "old" }), ("x-debug", null)),
        });

        Assert.Collection(
            match.Headers,
            debug => Assert.True(debug is { Name: "x-debug", PresentMatch: true, InvertMatch: true, TreatMissingHeaderAsEmpty: false }),
            version => Assert.True(version is { Name: "x-version", InvertMatch: true, TreatMissingHeaderAsEmpty: true } && version.StringMatch.Exact == "old"));
    }

    [Fact]
    public void Translate_JwtClaimHeader_BecomesDynamicMetadataMatch()
    {
        var match = RouteMatchTranslator.Translate(new HttpMatchRequest { Headers = Map(("@request.auth.claims[groups][0]", new StringMatch { Exact = "admin" })) });

        Assert.Empty(match.Headers);
        var metadata = Assert.Single(match.DynamicMetadata);
        Assert.Equal("envoy.filters.http.jwt_authn", metadata.Filter);
        Assert.Equal(["payload", "groups", "0"], metadata.Path.Select(p => p.Key));
        Assert.Equal("admin", metadata.Value.ListMatch.OneOf.StringMatch.Exact);
    }

    [Fact]
    public void IsCatchAll_HeaderCondition_IsNotCatchAll()
    {
        var plain = new Route { Match = new RouteMatch { Prefix = "/", CaseSensitive = true } };
        var withHeader = new Route { Match = new RouteMatch { Prefix = "/", Headers = { new HeaderMatcher { Name = "a", PresentMatch = true } } } };

        Assert.True(RouteMatchTranslator.IsCatchAll(plain));
        Assert.False(RouteMatchTranslator.IsCatchAll(withHeader));
    }

    private static ValueMap<string, StringMatch?> Map(params (string Key, StringMatch? Value)[] entries) =>
        new(entries.Select(e => KeyValuePair.Create(e.Key, e.Value)));
}
