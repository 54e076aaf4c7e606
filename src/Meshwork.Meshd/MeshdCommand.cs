using System.CommandLine;
using System.Net;

namespace Meshwork.Meshd;

/// <summary>meshd's command line: flags as ARCHITECTURE.md §4 gives them; bad flags exit 2 with one line.</summary>
public static class MeshdCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        var configDirs = new Option<string[]>("--config-dir") { Description = "A directory of Istio config (YAML/JSON) to load and watch. Repeatable.", Arity = ArgumentArity.ZeroOrMore, AllowMultipleArgumentsPerToken = false };
        var xds = new Option<string>("--xds-address") { Description = "Where ADS is served over plaintext HTTP/2 (IP:PORT).", DefaultValueFactory = _ => "127.0.0.1:15010" };
        var secure = new Option<string>("--secure-address") { Description = "Where ADS is served over TLS with meshd's certificate from the mesh CA (IP:PORT, or 'off').", DefaultValueFactory = _ => "127.0.0.1:15012" };
        var caDir = new Option<string>("--ca-dir") { Description = "The CA's directory (Istio's plug-in layout: ca-cert.pem, ca-key.pem, root-cert.pem, cert-chain.pem); a self-signed root is created there when empty.", DefaultValueFactory = _ => MeshdOptions.DefaultCaDirectory };
        var monitoring = new Option<string>("--monitoring-address") { Description = "Where /ready, /metrics and /debug/* are served (IP:PORT).", DefaultValueFactory = _ => "127.0.0.1:15014" };
        var meshConfig = new Option<string?>("--mesh-config") { Description = "A MeshConfig YAML file (Istio's mesh settings)." };
        var trustDomain = new Option<string?>("--trust-domain") { Description = "The trust domain (default: the mesh config's, else cluster.local)." };
        var mixer = new Option<string>("--mixer-address") { Description = "Where the Mixer API (Check/Report) is served over plaintext HTTP/2 (IP:PORT, Istio's 9091), or 'off'.", DefaultValueFactory = _ => "off" };
        var root = new RootCommand("meshd: the Meshwork control plane (config, registry, Pilot)") { configDirs, xds, secure, caDir, monitoring, meshConfig, trustDomain, mixer };
        root.SetAction(async (parse, cancellationToken) =>
        {
            if (!TryBind(parse, configDirs, xds, secure, caDir, monitoring, meshConfig, trustDomain, mixer, out var options, out var problem))
            {
                await Console.Error.WriteLineAsync($"meshd: {problem}");
                return 2;
            }

            return await MeshdHost.RunAsync(options, cancellationToken);
        });
        var result = root.Parse(args);
        if (result.Errors.Count > 0)
        {
            await Console.Error.WriteLineAsync($"meshd: {result.Errors[0].Message} (see 'meshd --help')");
            return 2;
        }

        // The host handles SIGTERM and Ctrl-C itself (graceful stop), so the parser must not.
        return await result.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
    }

    private static bool TryBind(ParseResult parse, Option<string[]> configDirs, Option<string> xds, Option<string> secure, Option<string> caDir, Option<string> monitoring, Option<string?> meshConfig, Option<string?> trustDomain, Option<string> mixer, out MeshdOptions options, out string? problem)
    {
        options = new MeshdOptions();
        problem = null;
        var dirs = parse.GetValue(configDirs) ?? [];
        foreach (var dir in dirs)
        {
            if (!Directory.Exists(dir))
            {
                problem = $"--config-dir \"{dir}\": no such directory";
                return false;
            }
        }

        if (!MeshdOptions.TryParseAddress(parse.GetValue(xds)!, out var xdsEndpoint, out var error) ||
            !MeshdOptions.TryParseAddress(parse.GetValue(monitoring)!, out var monitoringEndpoint, out error))
        {
            problem = error;
            return false;
        }

        IPEndPoint? secureEndpoint = null;
        var secureText = parse.GetValue(secure)!;
        if (secureText != "off" && !MeshdOptions.TryParseAddress(secureText, out secureEndpoint, out error))
        {
            problem = "--secure-address: " + error;
            return false;
        }

        IPEndPoint? mixerEndpoint = null;
        var mixerText = parse.GetValue(mixer)!;
        if (mixerText != "off" && !MeshdOptions.TryParseAddress(mixerText, out mixerEndpoint, out error))
        {
            problem = "--mixer-address: " + error;
            return false;
        }

        var ports = new[] { xdsEndpoint, monitoringEndpoint, secureEndpoint, mixerEndpoint }.Where(e => e is { Port: > 0 }).ToList();
        if (ports.Distinct().Count() != ports.Count)
        {
            problem = "--xds-address, --secure-address, --monitoring-address and --mixer-address must differ";
            return false;
        }

        var meshFile = parse.GetValue(meshConfig);
        if (meshFile != null && !File.Exists(meshFile))
        {
            problem = $"--mesh-config \"{meshFile}\": no such file";
            return false;
        }

        options = new MeshdOptions
        {
            ConfigDirectories = dirs,
            XdsAddress = xdsEndpoint,
            MonitoringAddress = monitoringEndpoint,
            SecureAddress = secureEndpoint,
            MixerAddress = mixerEndpoint,
            CaDirectory = parse.GetValue(caDir)!,
            MeshConfigFile = meshFile,
            TrustDomain = parse.GetValue(trustDomain),
        };
        return true;
    }
}
