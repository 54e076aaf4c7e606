using System.CommandLine;
using System.Net.Http;
using System.Text.Json;

namespace Meshwork.Ctl.Commands;

/// <summary>
/// <c>meshctl proxy-status [--meshd HOST:PORT]</c>: one row per connected proxy with its xDS sync
/// state per type, as istioctl prints it (SYNCED, STALE, NOT SENT; NACKED when the proxy rejected).
/// </summary>
internal static class ProxyStatusCommand
{
    private static readonly string[] Types = ["CDS", "LDS", "EDS", "RDS"];

    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var meshd = new Option<string>("--meshd") { Description = "meshd's monitoring address (HOST:PORT).", DefaultValueFactory = _ => "127.0.0.1:15014" };
        var command = new Command("proxy-status", "Show the xDS sync state of every proxy connected to meshd") { meshd };
        command.Aliases.Add("ps");
        command.SetAction(async (parse, cancellationToken) => await RunAsync(parse.GetValue(meshd)!, stdout, stderr, cancellationToken));
        return command;
    }

    internal static async Task<int> RunAsync(string meshd, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        JsonDocument syncz;
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            var body = await http.GetStringAsync(new Uri($"http://{meshd}/debug/syncz"), cancellationToken);
            syncz = JsonDocument.Parse(body);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or UriFormatException or JsonException)
        {
            await stderr.WriteLineAsync($"meshctl: cannot reach meshd at {meshd}: {e.Message}");
            return CommandLine.Usage;
        }

        using (syncz)
        {
            var rows = new List<string[]> { (string[])["NAME", .. Types, "ISTIOD"] };
            foreach (var proxy in syncz.RootElement.EnumerateArray())
            {
                var types = proxy.GetProperty("types");
                var row = new List<string> { Name(proxy.GetProperty("proxy").GetString() ?? string.Empty) };
                row.AddRange(Types.Select(t => types.TryGetProperty(t, out var s) ? s.GetProperty("status").GetString() ?? "?" : "NOT SENT"));
                row.Add("meshd@" + meshd);
                rows.Add([.. row]);
            }

            var widths = Enumerable.Range(0, rows[0].Length).Select(i => rows.Max(r => r[i].Length)).ToArray();
            foreach (var row in rows)
            {
                await stdout.WriteLineAsync(string.Join("   ", row.Select((cell, i) => i == row.Length - 1 ? cell : cell.PadRight(widths[i]))).TrimEnd());
            }
        }

        return CommandLine.Ok;
    }

    /// <summary><c>sidecar~IP~NAME.NS~DOMAIN</c> is shown as <c>NAME.NS</c>, as istioctl shows pods.</summary>
    private static string Name(string proxyId)
    {
        var parts = proxyId.Split('~');
        return parts.Length == 4 ? parts[2] : proxyId;
    }
}
