using System.Net;
using Meshwork.Config.Store;
using Meshwork.Config.Validation;
using Meshwork.Meshd.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Meshwork.Meshd.Tests.Security;

/// <summary>meshd's JWKS fetcher against a real HTTP server, on a fake clock for its refresh and retry schedule.</summary>
public sealed class JwksResolverTests : IAsyncLifetime
{
    private const string Keys = """{"keys":[{"kty":"RSA","e":"AQAB","n":"AQAB"}]}""";
    private readonly FakeTimeProvider _clock = new();
    private WebApplication _server = null!;
    private HttpStatusCode _status = HttpStatusCode.OK;
    private string _body = Keys;
    private int _fetches;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _server = builder.Build();
        _server.MapGet("/jwks.json", () =>
        {
            Interlocked.Increment(ref _fetches);
            return Results.Text(_body, "application/json", statusCode: (int)_status);
        });
        await _server.StartAsync();
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private string Uri => $"{_server.Urls.Single()}/jwks.json";

    private ConfigStore Store(string uri)
    {
        var yaml = $$"""
            apiVersion: security.istio.io/v1
            kind: RequestAuthentication
            metadata: {name: jwt, namespace: foo}
            spec:
              jwtRules: [{issuer: "i", jwksUri: "{{uri}}"}]
            """;
        var outcome = ConfigValidator.ValidateText(yaml, "jwt.yaml");
        Assert.True(outcome.IsValid, string.Join("\n", outcome.Errors));
        var store = new ConfigStore();
        store.ReplaceSource("jwt.yaml", outcome.Valid);
        return store;
    }

    private static async Task Until(Func<bool> condition, string what)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!condition())
        {
            Assert.False(timeout.IsCancellationRequested, "timed out waiting for " + what);
            await Task.Delay(10);
        }
    }

    [Fact]
    public async Task Start_FetchesTheUriAndTellsListeners()
    {
        using var resolver = new JwksResolver(Store(Uri), _clock, NullLogger<JwksResolver>.Instance);
        var changes = 0;
        resolver.OnChanged(() => Interlocked.Increment(ref changes));

        await resolver.StartAsync(CancellationToken.None);
        _clock.Advance(TimeSpan.Zero);

        await Until(() => resolver.Current.ContainsKey(Uri), "the first fetch");
        Assert.Equal(Keys, resolver.Current[Uri]);
        Assert.Equal(1, changes);
    }

    [Fact]
    public async Task Fetch_FailingThenUp_RetriesWithBackoffAndKeepsNothingBad()
    {
        _status = HttpStatusCode.ServiceUnavailable;
        using var resolver = new JwksResolver(Store(Uri), _clock, NullLogger<JwksResolver>.Instance);
        await resolver.StartAsync(CancellationToken.None);
        await Until(() => _fetches == 1, "the first attempt");
        Assert.Empty(resolver.Current);

        _status = HttpStatusCode.OK;
        _body = "{\"not\":\"a key set\"}";
        await Until(() => { _clock.Advance(TimeSpan.FromSeconds(1)); return _fetches >= 2; }, "the retry after 1 s");
        Assert.Empty(resolver.Current);

        _body = Keys;
        await Until(() => { _clock.Advance(TimeSpan.FromSeconds(2)); return resolver.Current.ContainsKey(Uri); }, "the retry after 2 s");
    }

    [Fact]
    public async Task Refresh_AfterTwentyMinutes_PicksUpRotatedKeysAndKeepsTheLastGoodOnFailure()
    {
        using var resolver = new JwksResolver(Store(Uri), _clock, NullLogger<JwksResolver>.Instance);
        await resolver.StartAsync(CancellationToken.None);
        await Until(() => resolver.Current.ContainsKey(Uri), "the first fetch");

        _status = HttpStatusCode.InternalServerError;
        _clock.Advance(JwksResolver.RefreshInterval);
        await Until(() => _fetches >= 2, "the refresh");
        Assert.Equal(Keys, resolver.Current[Uri]);

        const string Rotated = """{"keys":[{"kty":"RSA","e":"AQAB","n":"AQAC"}]}""";
        _status = HttpStatusCode.OK;
        _body = Rotated;
        await Until(() => { _clock.Advance(TimeSpan.FromSeconds(1)); return resolver.Current[Uri] == Rotated; }, "the rotated keys");
    }
}
