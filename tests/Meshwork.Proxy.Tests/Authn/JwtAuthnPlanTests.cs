using System.Security.Cryptography;
using Envoy.Config.Core.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Http.JwtAuthn.V3;
using Google.Protobuf.WellKnownTypes;
using Meshwork.Proxy.Authn;
using Microsoft.AspNetCore.Http;

namespace Meshwork.Proxy.Tests.Authn;

/// <summary>
/// The jwt_authn filter as Istio configures it for a RequestAuthentication (one provider or several,
/// each "this provider or no token"), checked with Istio's own JWT task material.
/// </summary>
public sealed class JwtAuthnPlanTests
{
    private static JwtProvider SampleProvider(Action<JwtProvider>? configure = null)
    {
        var provider = new JwtProvider
        {
            Issuer = JwtTokens.Issuer,
            LocalJwks = new DataSource { InlineString = JwtTokens.Jwks },
            PayloadInMetadata = "payload",
        };
        configure?.Invoke(provider);
        return provider;
    }

    /// <summary>Istio's shape: providers origins-N, one rule on "/" requiring any of them or none.</summary>
    private static JwtAuthnPlan Plan(params JwtProvider[] providers)
    {
        var config = new JwtAuthentication { BypassCorsPreflight = true };
        var optional = new List<JwtRequirement>();
        for (var i = 0; i < providers.Length; i++)
        {
            config.Providers[$"origins-{i}"] = providers[i];
            optional.Add(new JwtRequirement
            {
                RequiresAny = new JwtRequirementOrList { Requirements = { new JwtRequirement { ProviderName = $"origins-{i}" }, new JwtRequirement { AllowMissing = new Empty() } } },
            });
        }

        var requires = optional.Count == 1
            ? optional[0]
            : new JwtRequirement
            {
                RequiresAny = new JwtRequirementOrList
                {
                    Requirements = { providers.Select((_, i) => new JwtRequirement { ProviderName = $"origins-{i}" }), new JwtRequirement { RequiresAll = new JwtRequirementAndList { Requirements = { optional } } } },
                },
            };
        config.Rules.Add(new RequirementRule { Match = new RouteMatch { Prefix = "/" }, Requires = requires });
        return JwtAuthnPlan.Compile(Any.Pack(config), "listener \"in\"");
    }

    private static HttpRequest Request(string? bearer = null, string path = "/headers")
    {
        var context = new DefaultHttpContext();
        context.Request.Path = path;
        context.Request.Host = new HostString("httpbin.foo");
        if (bearer != null)
        {
            context.Request.Headers.Authorization = "Bearer " + bearer;
        }

        return context.Request;
    }

    private static JwtStatus Check(JwtAuthnPlan plan, HttpRequest request, out IReadOnlyList<JwtToken> verified) =>
        plan.Authenticate(request, JwtTokens.Now, out verified);

    [Fact]
    public void Authenticate_IstioDemoToken_VerifiesAndRemovesTheHeader()
    {
        var request = Request(JwtTokens.Demo);

        var status = Check(Plan(SampleProvider()), request, out var verified);

        Assert.Equal(JwtStatus.Ok, status);
        var token = Assert.Single(verified);
        Assert.Equal(JwtTokens.Issuer, token.Issuer);
        Assert.Equal(JwtTokens.Issuer, token.Subject);
        Assert.False(request.Headers.ContainsKey("authorization")); // forward: false, as Istio's default
    }

    [Fact]
    public void Authenticate_NoToken_PassesWithoutIdentity()
    {
        var status = Check(Plan(SampleProvider()), Request(), out var verified);

        Assert.Equal(JwtStatus.Ok, status);
        Assert.Empty(verified);
    }

    [Fact]
    public void Authenticate_BadSignature_Fails()
    {
        var parts = JwtTokens.Demo.Split('.');
        var signature = parts[2].ToCharArray();
        signature[10] = signature[10] == 'A' ? 'B' : 'A';

        var status = Check(Plan(SampleProvider()), Request($"{parts[0]}.{parts[1]}.{new string(signature)}"), out _);

        Assert.Equal(JwtStatus.VerificationFailed, status);
        Assert.Equal("Jwt verification fails", JwtStatusText.Of(status));
    }

    [Fact]
    public void Authenticate_TokenOfAnotherIssuer_FailsAsUnknownIssuer()
    {
        var token = JwtTokens.Mint(new { iss = "someone-else@example.com", sub = "x", exp = JwtTokens.Now + 3600 });

        Assert.Equal(JwtStatus.UnknownIssuer, Check(Plan(SampleProvider()), Request(token), out _));
    }

    [Fact]
    public void Authenticate_ExpiredBeyondTheClockSkew_Fails()
    {
        var token = JwtTokens.Mint(new { iss = JwtTokens.Issuer, sub = "x", exp = JwtTokens.Now - 120 });

        Assert.Equal(JwtStatus.Expired, Check(Plan(SampleProvider()), Request(token), out _));
    }

    [Fact]
    public void Authenticate_ExpiredWithinTheClockSkew_Passes()
    {
        var token = JwtTokens.Mint(new { iss = JwtTokens.Issuer, sub = "x", exp = JwtTokens.Now - 30 });

        Assert.Equal(JwtStatus.Ok, Check(Plan(SampleProvider()), Request(token), out _));
    }

    [Fact]
    public void Authenticate_NotYetValid_Fails()
    {
        var token = JwtTokens.Mint(new { iss = JwtTokens.Issuer, sub = "x", nbf = JwtTokens.Now + 600 });

        Assert.Equal(JwtStatus.NotYetValid, Check(Plan(SampleProvider()), Request(token), out _));
    }

    [Fact]
    public void Authenticate_AlgNone_IsRefused()
    {
        var token = JwtTokens.Unsigned(new { iss = JwtTokens.Issuer, sub = "admin", exp = JwtTokens.Now + 3600 });

        Assert.Equal(JwtStatus.HeaderUnsupportedAlg, Check(Plan(SampleProvider()), Request(token), out _));
    }

    [Fact]
    public void Authenticate_HmacSignedWithThePublicModulus_IsRefused()
    {
        // Key confusion: HS256 "signed" with public material must never pass as the RSA key's token.
        var token = JwtTokens.Sign(new { iss = JwtTokens.Issuer, sub = "admin" }, "HS256", JwtTokens.Kid, input => HMACSHA256.HashData(System.Text.Encoding.UTF8.GetBytes(JwtTokens.Jwks), input));

        Assert.Equal(JwtStatus.HeaderUnsupportedAlg, Check(Plan(SampleProvider()), Request(token), out _));
    }

    [Theory]
    [InlineData("not-a-token", "Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections")]
    [InlineData("a.b", "Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections")]
    [InlineData("a.b.c.d", "Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections")]
    [InlineData("e30.e30.", "Jwt header [alg] field is required and must be a string")]
    [InlineData("!!!.e30.", "Jwt header is an invalid Base64url encoded")]
    [InlineData("bm90IGpzb24.e30.", "Jwt header is an invalid JSON")]
    public void Authenticate_Malformed_FailsWithEnvoysReason(string token, string expected)
    {
        Assert.Equal(expected, JwtStatusText.Of(Check(Plan(SampleProvider()), Request(token), out _)));
    }

    [Fact]
    public void Authenticate_AudienceListed_PassesAndOtherAudienceFails()
    {
        var plan = Plan(SampleProvider(p => p.Audiences.Add("https://bookinfo.example/")));
        var good = JwtTokens.Mint(new { iss = JwtTokens.Issuer, sub = "x", aud = new[] { "other", "bookinfo.example" } });
        var bad = JwtTokens.Mint(new { iss = JwtTokens.Issuer, sub = "x", aud = "other" });

        Assert.Equal(JwtStatus.Ok, Check(plan, Request(good), out _));
        Assert.Equal(JwtStatus.AudienceNotAllowed, Check(plan, Request(bad), out _));
    }

    [Fact]
    public void Authenticate_EcdsaProvider_VerifiesES256()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var q = key.ExportParameters(false).Q;
        var jwks = $$"""{"keys":[{"kty":"EC","crv":"P-256","kid":"ec1","x":"{{JwtTokens.Encode(q.X!)}}","y":"{{JwtTokens.Encode(q.Y!)}}"}]}""";
        var plan = Plan(new JwtProvider { Issuer = "ec-issuer", LocalJwks = new DataSource { InlineString = jwks } });
        var token = JwtTokens.Sign(new { iss = "ec-issuer", sub = "svc" }, "ES256", "ec1", input => key.SignData(input, HashAlgorithmName.SHA256));

        Assert.Equal(JwtStatus.Ok, Check(plan, Request(token), out var verified));
        Assert.Equal("svc", Assert.Single(verified).Subject);
    }

    [Fact]
    public void Authenticate_PS256_Verifies()
    {
        var token = JwtTokens.Mint(new { iss = JwtTokens.Issuer, sub = "ps" }, alg: "PS256");

        Assert.Equal(JwtStatus.Ok, Check(Plan(SampleProvider()), Request(token), out _));
    }

    [Fact]
    public void Authenticate_FromParamAndCookieAndCustomHeader_AreFound()
    {
        var plan = Plan(SampleProvider(p =>
        {
            p.FromHeaders.Add(new Envoy.Extensions.Filters.Http.JwtAuthn.V3.JwtHeader { Name = "x-jwt-assertion", ValuePrefix = "Istio " });
            p.FromParams.Add("my_token");
            p.FromCookies.Add("session");
        }));

        var header = Request();
        header.Headers["x-jwt-assertion"] = "Istio " + JwtTokens.Demo;
        var param = Request();
        param.QueryString = new QueryString("?my_token=" + JwtTokens.Demo);
        var cookie = Request();
        cookie.Headers.Cookie = "session=" + JwtTokens.Demo;
        var defaultLocation = Request(JwtTokens.Demo);

        Assert.Equal(JwtStatus.Ok, Check(plan, header, out var a));
        Assert.Single(a);
        Assert.Equal(JwtStatus.Ok, Check(plan, param, out var b));
        Assert.Single(b);
        Assert.Equal(JwtStatus.Ok, Check(plan, cookie, out var c));
        Assert.Single(c);
        // With locations given, the default Authorization header is not one of them: the token is not looked at.
        Assert.Equal(JwtStatus.Ok, Check(plan, defaultLocation, out var d));
        Assert.Empty(d);
    }

    [Fact]
    public void Authenticate_Outputs_PayloadAndClaimsToHeadersAndForwardKeepsTheToken()
    {
        var plan = Plan(SampleProvider(p =>
        {
            p.Forward = true;
            p.ForwardPayloadHeader = "x-jwt-payload";
            p.ClaimToHeaders.Add(new JwtClaimToHeader { HeaderName = "x-jwt-foo", ClaimName = "foo" });
            p.ClaimToHeaders.Add(new JwtClaimToHeader { HeaderName = "x-jwt-exp", ClaimName = "exp" });
        }));
        var request = Request(JwtTokens.Demo);

        Assert.Equal(JwtStatus.Ok, Check(plan, request, out _));

        Assert.Equal(JwtTokens.Demo.Split('.')[1], request.Headers["x-jwt-payload"].ToString());
        Assert.Equal("bar", request.Headers["x-jwt-foo"].ToString());
        Assert.Equal("4685989700", request.Headers["x-jwt-exp"].ToString());
        Assert.True(request.Headers.ContainsKey("authorization"));
    }

    [Fact]
    public void Authenticate_ClaimHeadersSentByTheClient_AreRemovedEvenWithoutAToken()
    {
        var plan = Plan(SampleProvider(p => p.ClaimToHeaders.Add(new JwtClaimToHeader { HeaderName = "x-jwt-sub", ClaimName = "sub" })));
        var request = Request();
        request.Headers["x-jwt-sub"] = "admin";

        Assert.Equal(JwtStatus.Ok, Check(plan, request, out _));

        Assert.False(request.Headers.ContainsKey("x-jwt-sub"));
    }

    [Fact]
    public void Authenticate_TwoProviders_EachIssuersTokenPassesAndAStrangerFails()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var q = key.ExportParameters(false).Q;
        var jwks = $$"""{"keys":[{"kty":"EC","crv":"P-256","x":"{{JwtTokens.Encode(q.X!)}}","y":"{{JwtTokens.Encode(q.Y!)}}"}]}""";
        var plan = Plan(SampleProvider(), new JwtProvider { Issuer = "second", LocalJwks = new DataSource { InlineString = jwks } });
        var second = JwtTokens.Sign(new { iss = "second", sub = "s" }, "ES256", string.Empty, input => key.SignData(input, HashAlgorithmName.SHA256));

        Assert.Equal(JwtStatus.Ok, Check(plan, Request(JwtTokens.Demo), out _));
        Assert.Equal(JwtStatus.Ok, Check(plan, Request(second), out _));
        Assert.Equal(JwtStatus.UnknownIssuer, Check(plan, Request(JwtTokens.Mint(new { iss = "third", sub = "x" })), out _));
        Assert.Equal(JwtStatus.Ok, Check(plan, Request(), out _));
    }

    [Fact]
    public void Authenticate_RequiredProviderWithoutToken_FailsAsMissing()
    {
        var config = new JwtAuthentication
        {
            Providers = { ["p"] = SampleProvider() },
            Rules =
            {
                new RequirementRule { Match = new RouteMatch { Path = "/open" } },
                new RequirementRule { Match = new RouteMatch { Prefix = "/" }, Requires = new JwtRequirement { ProviderName = "p" } },
            },
        };
        var plan = JwtAuthnPlan.Compile(Any.Pack(config), "l");

        Assert.Equal(JwtStatus.Missing, Check(plan, Request(path: "/private"), out _));
        Assert.Equal(JwtStatus.Ok, Check(plan, Request(path: "/open"), out _));
    }

    [Theory]
    [InlineData("{}", "the JWKS must be an object with a \"keys\" array")]
    [InlineData("not json", "the JWKS is not valid JSON")]
    [InlineData("{\"keys\":[{\"kty\":\"oct\",\"k\":\"AAAA\"}]}", "the JWKS has no RSA or EC public key")]
    [InlineData("{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-999\",\"x\":\"AA\",\"y\":\"AA\"}]}", "keys[0].crv: unsupported curve \"P-999\"")]
    public void Compile_BadJwks_NamesListenerProviderAndReason(string jwks, string expected)
    {
        var config = new JwtAuthentication { Providers = { ["origins-0"] = new JwtProvider { Issuer = "i", LocalJwks = new DataSource { InlineString = jwks } } } };

        var error = Assert.Throws<ProxyConfigException>(() => JwtAuthnPlan.Compile(Any.Pack(config), "listener \"in\""));

        Assert.StartsWith("listener \"in\": envoy.filters.http.jwt_authn: providers[origins-0].local_jwks: " + expected, error.Message);
    }

    [Fact]
    public void Compile_RequirementNamingAnUnknownProvider_IsAConfigError()
    {
        var config = new JwtAuthentication { Rules = { new RequirementRule { Match = new RouteMatch { Prefix = "/" }, Requires = new JwtRequirement { ProviderName = "nope" } } } };

        var error = Assert.Throws<ProxyConfigException>(() => JwtAuthnPlan.Compile(Any.Pack(config), "l"));

        Assert.Equal("l: envoy.filters.http.jwt_authn.rules[0].requires.provider_name: no provider named \"nope\"", error.Message);
    }
}
