using Meshwork.Proxy.Routing;
using System.Text.Json;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Google.Protobuf.WellKnownTypes;
using Meshwork.Proxy.Xds;
using Meshwork.Xds.Protos;
using Microsoft.AspNetCore.Http;

namespace Meshwork.Proxy.Tests.Routing;

/// <summary>Requests and route tables for routing tests: requests from a URL, tables from Envoy JSON or Pilot's goldens.</summary>
internal static class RoutingFixtures
{
    public static HttpRequest Request(string url, string method = "GET", params (string Name, string Value)[] headers)
    {
        var uri = new Uri(url);
        var context = new DefaultHttpContext();
        var request = context.Request;
        request.Method = method;
        request.Scheme = uri.Scheme;
        request.Host = new HostString(uri.Authority);
        request.Path = new PathString(Uri.UnescapeDataString(uri.AbsolutePath));
        request.QueryString = new QueryString(uri.Query.Length > 0 ? uri.Query : null);
        foreach (var (name, value) in headers)
        {
            // Append drops empty values; Envoy's matchers see a present, empty header.
            request.Headers[name] = request.Headers.TryGetValue(name, out var existing)
                ? Microsoft.Extensions.Primitives.StringValues.Concat(existing, value)
                : new Microsoft.Extensions.Primitives.StringValues(value);
        }

        return request;
    }

    /// <summary>A route configuration from Envoy's JSON form (field names in proto3 JSON, Anys with @type).</summary>
    public static RouteConfiguration Table(string json) => XdsJson.Parser.Parse<RouteConfiguration>(json);

    /// <summary>A table with one virtual host for <c>*</c> holding the given routes' JSON.</summary>
    public static RouteTable Routes(string routesJson, string extraHostJson = "", string extraTableJson = "") =>
        RouteTable.Compile(Table($$"""{ "name": "test", {{extraTableJson}} "virtualHosts": [ { "name": "vh", "domains": ["*"], {{extraHostJson}} "routes": {{routesJson}} } ] }"""), () => 0.5);

    public static string TestdataDirectory
    {
        get
        {
            var directory = new DirectoryInfo(AppContext.BaseDirectory);
            while (directory != null && !File.Exists(Path.Combine(directory.FullName, "Meshwork.sln")))
            {
                directory = directory.Parent;
            }

            return Path.Combine(directory?.FullName ?? throw new InvalidOperationException("repository root not found"), "tests", "Meshwork.Pilot.Tests", "testdata");
        }
    }

    /// <summary>Every route configuration in a golden case: its rds.json, and those inline in its lds.json's connection managers.</summary>
    public static IEnumerable<RouteConfiguration> GoldenTables(string caseName)
    {
        var directory = Path.Combine(TestdataDirectory, caseName);
        foreach (var message in Resources(Path.Combine(directory, "rds.json")))
        {
            yield return message.Unpack<RouteConfiguration>();
        }

        foreach (var message in Resources(Path.Combine(directory, "lds.json")))
        {
            foreach (var manager in ListenerRoutes.Managers(message.Unpack<Listener>()))
            {
                if (manager.RouteSpecifierCase == HttpConnectionManager.RouteSpecifierOneofCase.RouteConfig)
                {
                    yield return manager.RouteConfig;
                }
            }
        }
    }

    public static RouteTable GoldenTable(string caseName, string tableName) =>
        RouteTable.Compile(GoldenTables(caseName).Single(t => t.Name == tableName), () => 0.5);

    private static IEnumerable<Any> Resources(string path)
    {
        if (!File.Exists(path))
        {
            yield break;
        }

        using var document = JsonDocument.Parse(File.ReadAllText(path));
        foreach (var element in document.RootElement.EnumerateArray())
        {
            yield return XdsJson.Parser.Parse<Any>(element.GetRawText());
        }
    }
}
