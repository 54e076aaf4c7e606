using System.CommandLine;
using System.Text.Json;

namespace Meshwork.Ctl.Commands;

/// <summary>
/// <c>meshctl proxy-config cluster|listener|route|endpoint|secret|all --admin HOST:PORT [-o json]</c>: what a
/// mesh-proxy has applied, read from its <c>/config_dump</c>, as tables like istioctl's or as JSON.
/// </summary>
internal static class ProxyConfigCommand
{
    private static readonly Dictionary<string, string> Types = new(StringComparer.Ordinal)
    {
        ["cluster"] = "type.googleapis.com/envoy.config.cluster.v3.Cluster",
        ["listener"] = "type.googleapis.com/envoy.config.listener.v3.Listener",
        ["route"] = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration",
        ["endpoint"] = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment",
    };

    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var type = new Argument<string>("type") { Description = "cluster, listener, route, endpoint, secret or all" };
        type.AcceptOnlyFromAmong(["cluster", "listener", "route", "endpoint", "secret", "all"]);
        var admin = new Option<string>("--admin") { Description = "The proxy's admin address (HOST:PORT).", DefaultValueFactory = _ => "127.0.0.1:15000" };
        var output = new Option<string>("--output", "-o") { Description = "short (tables) or json.", DefaultValueFactory = _ => "short" };
        output.AcceptOnlyFromAmong(["short", "json"]);
        var command = new Command("proxy-config", "Show what a mesh-proxy has applied (from its admin /config_dump)") { type, admin, output };
        command.Aliases.Add("pc");
        command.SetAction(async (parse, cancellationToken) => await RunAsync(parse.GetValue(type)!, parse.GetValue(admin)!, parse.GetValue(output)!, stdout, stderr, cancellationToken));
        return command;
    }

    internal static async Task<int> RunAsync(string type, string admin, string output, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        JsonDocument dump;
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            dump = JsonDocument.Parse(await http.GetStringAsync(new Uri($"http://{admin}/config_dump"), cancellationToken));
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or UriFormatException or JsonException)
        {
            await stderr.WriteLineAsync($"meshctl: cannot read the proxy's config at {admin}: {e.Message}");
            return CommandLine.Usage;
        }

        // The endpoint view, as istioctl's, comes from the proxy's live /clusters (health and outlier state); EDS from the dump when that is unavailable.
        var liveEndpoints = type is "endpoint" or "all" ? await LiveEndpointRowsAsync(admin, cancellationToken) : null;
        using (dump)
        {
            if (type == "secret")
            {
                var section = ProxyConfigSecrets.Section(dump);
                await (output == "json"
                    ? stdout.WriteLineAsync(section is { } found ? JsonSerializer.Serialize(found, new JsonSerializerOptions { WriteIndented = true }) : "{}")
                    : WriteTableAsync(stdout, ProxyConfigSecrets.Rows(section, DateTimeOffset.UtcNow)));
                return CommandLine.Ok;
            }

            var wanted = type == "all" ? Types.Values.ToHashSet() : [Types[type]];
            var sections = dump.RootElement.GetProperty("configs").EnumerateArray().Where(c => c.TryGetProperty("type", out var t) && wanted.Contains(t.GetString()!)).ToList();
            if (output == "json")
            {
                await stdout.WriteLineAsync(JsonSerializer.Serialize(sections.SelectMany(s => s.GetProperty("resources").EnumerateArray().Select(r => r.GetProperty("resource"))), new JsonSerializerOptions { WriteIndented = true }));
                return CommandLine.Ok;
            }

            foreach (var section in sections)
            {
                var typeUrl = section.GetProperty("type").GetString()!;
                var rows = typeUrl == Types["endpoint"] && liveEndpoints != null
                    ? liveEndpoints
                    : Rows(typeUrl, section.GetProperty("resources").EnumerateArray().Select(r => r.GetProperty("resource")).ToList());
                await WriteTableAsync(stdout, rows);
                if (type == "all")
                {
                    await stdout.WriteLineAsync();
                }
            }
        }

        return CommandLine.Ok;
    }

    /// <summary>istioctl's columns: clusters by FQDN/port/subset/direction/type, listeners by address/port, routes by table/virtual host/domains/first match, endpoints by address and cluster.</summary>
    private static List<string[]> Rows(string typeUrl, List<JsonElement> resources) => typeUrl switch
    {
        var t when t == Types["cluster"] => [["SERVICE FQDN", "PORT", "SUBSET", "DIRECTION", "TYPE"], .. resources.Select(ClusterRow)],
        var t when t == Types["listener"] => [["NAME", "ADDRESS", "PORT"], .. resources.Select(ListenerRow)],
        var t when t == Types["route"] => [["NAME", "VHOST NAME", "DOMAINS", "MATCH"], .. resources.SelectMany(RouteRows)],
        _ => [["ENDPOINT", "STATUS", "CLUSTER"], .. resources.SelectMany(EndpointRows)],
    };

    private static string[] ClusterRow(JsonElement cluster)
    {
        var name = Text(cluster, "name");
        var type = cluster.TryGetProperty("type", out var t) ? t.GetString()! : "STATIC";
        var parts = name.Split('|');
        return parts.Length == 4
            ? [parts[3].Length > 0 ? parts[3] : name, parts[1], parts[2].Length > 0 ? parts[2] : "-", parts[0], type]
            : [name, "-", "-", "-", type];
    }

    private static string[] ListenerRow(JsonElement listener)
    {
        if (listener.TryGetProperty("address", out var address) && address.TryGetProperty("socketAddress", out var socket))
        {
            return [Text(listener, "name"), Text(socket, "address"), socket.TryGetProperty("portValue", out var port) ? port.ToString() : "0"];
        }

        return [Text(listener, "name"), "api_listener", "-"];
    }

    /// <summary>One row per virtual host, as istioctl's: the table, the host, its domains (two, then a count), and the first route's match.</summary>
    private static IEnumerable<string[]> RouteRows(JsonElement route)
    {
        var name = Text(route, "name");
        var hosts = route.TryGetProperty("virtualHosts", out var v) ? v.EnumerateArray().ToList() : [];
        if (hosts.Count == 0)
        {
            yield return [name, "-", "-", "-"];
            yield break;
        }

        foreach (var host in hosts)
        {
            var domains = host.TryGetProperty("domains", out var d) ? d.EnumerateArray().Select(x => x.GetString()!).ToList() : [];
            var shown = domains.Count > 2 ? string.Join(", ", domains.Take(2)) + $" + {domains.Count - 2} more" : string.Join(", ", domains);
            yield return [name, Text(host, "name"), shown.Length > 0 ? shown : "-", FirstMatch(host)];
        }
    }

    private static string FirstMatch(JsonElement host)
    {
        if (!host.TryGetProperty("routes", out var routes) || routes.GetArrayLength() == 0 || !routes[0].TryGetProperty("match", out var match))
        {
            return "-";
        }

        if (match.TryGetProperty("prefix", out var prefix))
        {
            return prefix.GetString() + "*";
        }

        if (match.TryGetProperty("path", out var path))
        {
            return path.GetString()!;
        }

        return match.TryGetProperty("safeRegex", out var regex) ? Text(regex, "regex") : "-";
    }

    private static IEnumerable<string[]> EndpointRows(JsonElement assignment)
    {
        var cluster = Text(assignment, "clusterName");
        if (!assignment.TryGetProperty("endpoints", out var localities))
        {
            yield break;
        }

        foreach (var locality in localities.EnumerateArray())
        {
            foreach (var endpoint in locality.TryGetProperty("lbEndpoints", out var list) ? list.EnumerateArray() : [])
            {
                var socket = endpoint.GetProperty("endpoint").GetProperty("address").TryGetProperty("socketAddress", out var s) ? s : default;
                var address = socket.ValueKind == JsonValueKind.Object ? $"{Text(socket, "address")}:{(socket.TryGetProperty("portValue", out var p) ? p.ToString() : "0")}" : "unix";
                var health = endpoint.TryGetProperty("healthStatus", out var h) ? h.GetString()! : "UNKNOWN";
                yield return [address, health, cluster];
            }
        }
    }

    /// <summary>
    /// istioctl's endpoint table from the proxy's <c>/clusters?format=json</c>: each host with its EDS
    /// health (HEALTHY/UNHEALTHY) and whether outlier detection has ejected it (OK/FAILED); null when
    /// the proxy does not answer it.
    /// </summary>
    private static async Task<List<string[]>?> LiveEndpointRowsAsync(string admin, CancellationToken cancellationToken)
    {
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            using var clusters = JsonDocument.Parse(await http.GetStringAsync(new Uri($"http://{admin}/clusters?format=json"), cancellationToken));
            List<string[]> rows = [["ENDPOINT", "STATUS", "OUTLIER CHECK", "CLUSTER"]];
            foreach (var cluster in clusters.RootElement.GetProperty("cluster_statuses").EnumerateArray())
            {
                foreach (var host in cluster.GetProperty("host_statuses").EnumerateArray())
                {
                    var health = host.GetProperty("health_status");
                    var ejected = health.TryGetProperty("failed_outlier_check", out var failed) && failed.ValueKind == JsonValueKind.True;
                    rows.Add([HostAddress(host.GetProperty("address")), Text(health, "eds_health_status"), ejected ? "FAILED" : "OK", Text(cluster, "name")]);
                }
            }

            return rows;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>An Envoy address object as HOST:PORT (or the pipe path).</summary>
    private static string HostAddress(JsonElement address) =>
        address.TryGetProperty("socket_address", out var socket)
            ? $"{Text(socket, "address")}:{(socket.TryGetProperty("port_value", out var port) ? port.ToString() : "0")}"
            : address.TryGetProperty("pipe", out var pipe) ? Text(pipe, "path") : address.ToString();

    private static string Text(JsonElement element, string property) => element.TryGetProperty(property, out var value) ? value.GetString() ?? string.Empty : string.Empty;

    private static async Task WriteTableAsync(TextWriter stdout, List<string[]> rows)
    {
        var widths = Enumerable.Range(0, rows[0].Length).Select(i => rows.Max(r => r[i].Length)).ToArray();
        foreach (var row in rows)
        {
            await stdout.WriteLineAsync(string.Join("   ", row.Select((cell, i) => i == row.Length - 1 ? cell : cell.PadRight(widths[i]))).TrimEnd());
        }
    }
}
