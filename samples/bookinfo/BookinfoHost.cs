using System.Globalization;
using Meshwork.Samples.Bookinfo.ProductPage;

namespace Meshwork.Samples.Bookinfo;

/// <summary>
/// Starts one Bookinfo service. Where it listens comes from the environment <c>meshctl run</c>
/// sets (<c>MESH_BIND_ADDRESS</c>, <c>PORT</c>, or <c>ASPNETCORE_URLS</c>), else 0.0.0.0:9080 as
/// in Istio's images; the version from <c>--version</c> or <c>SERVICE_VERSION</c> (default v1).
/// </summary>
internal static class BookinfoHost
{
    private const string Usage = """
        usage: bookinfo productpage|details|reviews|ratings [--version VERSION] [--port PORT]
          --version   v1 (default; SERVICE_VERSION); reviews: v1 no stars, v2 black, v3 red;
                      ratings: v1, v-faulty (half 503), v-delayed (half 7 s late)
          --port      the port to listen on (default PORT, else 9080), on MESH_BIND_ADDRESS (default 0.0.0.0)
        """;

    private static readonly string[] Services = ["productpage", "details", "reviews", "ratings"];

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length > 0 && args[0] is "-h" or "--help")
        {
            Console.WriteLine(Usage);
            return 0;
        }

        if (args.Length == 0 || !Services.Contains(args[0]))
        {
            await Console.Error.WriteLineAsync(args.Length == 0 ? Usage : $"bookinfo: unknown service \"{args[0]}\"\n{Usage}");
            return 2;
        }

        var service = args[0];
        var version = Environment.GetEnvironmentVariable("SERVICE_VERSION") is { Length: > 0 } v ? v : "v1";
        var port = Environment.GetEnvironmentVariable("PORT");
        for (var i = 1; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--version" when i + 1 < args.Length:
                    version = args[++i];
                    break;
                case "--port" when i + 1 < args.Length:
                    port = args[++i];
                    break;
                default:
                    await Console.Error.WriteLineAsync($"bookinfo: unexpected argument \"{args[i]}\"\n{Usage}");
                    return 2;
            }
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; });
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        var urls = Environment.GetEnvironmentVariable("ASPNETCORE_URLS");
        if (port != null || string.IsNullOrEmpty(urls))
        {
            var bind = Environment.GetEnvironmentVariable("MESH_BIND_ADDRESS") is { Length: > 0 } address ? address : "0.0.0.0";
            if (!int.TryParse(port ?? "9080", NumberStyles.None, CultureInfo.InvariantCulture, out var portNumber) || portNumber is 0 or > 65535)
            {
                await Console.Error.WriteLineAsync($"bookinfo: port \"{port}\" is not a port number");
                return 2;
            }

            urls = $"http://{(bind.Contains(':', StringComparison.Ordinal) ? $"[{bind}]" : bind)}:{portNumber}";
            builder.WebHost.UseUrls(urls);
        }

        var app = builder.Build();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(service);
        var services = new ServiceClient(logger);
        switch (service)
        {
            case "productpage":
                ProductPageService.Map(app, services);
                break;
            case "details":
                DetailsService.Map(app);
                break;
            case "reviews":
                ReviewsService.Map(app, version, services);
                break;
            default:
                RatingsService.Map(app, version);
                break;
        }

        await app.StartAsync();
        logger.LogInformation("{Service} {Version} listening on {Urls}", service, version, string.Join(", ", app.Urls));
        await app.WaitForShutdownAsync();
        return 0;
    }
}
