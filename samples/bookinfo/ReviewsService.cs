using System.Text.Json;
using System.Text.Json.Nodes;

namespace Meshwork.Samples.Bookinfo;

/// <summary>
/// reviews: two reviews of the book at <c>/reviews/{id}</c>, as Istio's Java service. v1 shows no
/// ratings; v2 asks ratings and shows black stars (10 s deadline); v3 shows red stars (2.5 s).
/// <c>ENABLE_RATINGS</c> and <c>STAR_COLOR</c> override what the version implies, as in Istio.
/// </summary>
internal static class ReviewsService
{
    private static readonly (string Reviewer, string Text)[] Reviews =
    [
        ("Reviewer1", "An extremely entertaining play by Shakespeare. The slapstick humour is refreshing!"),
        ("Reviewer2", "Absolutely fun and entertaining. The play lacks thematic depth when compared to other plays by Shakespeare."),
    ];

    public static void Map(WebApplication app, string version, ServiceClient services)
    {
        var ratingsEnabled = bool.TryParse(Environment.GetEnvironmentVariable("ENABLE_RATINGS"), out var enabled) ? enabled : version != "v1";
        var starColor = Environment.GetEnvironmentVariable("STAR_COLOR") is { Length: > 0 } color ? color : version == "v3" ? "red" : "black";
        var ratingsTimeout = starColor == "black" ? TimeSpan.FromSeconds(10) : TimeSpan.FromMilliseconds(2500);
        var ratingsUrl = services.BaseUrl("ratings") + "/ratings/";
        var podName = Environment.GetEnvironmentVariable("HOSTNAME") ?? "reviews-" + version;

        app.MapGet("/health", () => Json.Ok(new JsonObject { ["status"] = "Reviews is healthy" }));
        app.MapGet("/reviews/{id}", async (string id, HttpRequest request) =>
        {
            if (!int.TryParse(id, out var productId))
            {
                return Json.Status(400, new JsonObject { ["error"] = "please provide numeric product id" });
            }

            JsonElement? stars = null;
            if (ratingsEnabled)
            {
                var (status, body) = await services.GetJsonAsync(ratingsUrl + productId, request, user: null, ratingsTimeout);
                stars = status == 200 && body.TryGetProperty("ratings", out var ratings) ? ratings : default(JsonElement);
            }

            var reviews = new JsonArray();
            foreach (var (reviewer, text) in Reviews)
            {
                var review = new JsonObject { ["reviewer"] = reviewer, ["text"] = text };
                if (stars is { } given)
                {
                    review["rating"] = given.ValueKind == JsonValueKind.Object && given.TryGetProperty(reviewer, out var n) && n.TryGetInt32(out var count)
                        ? new JsonObject { ["stars"] = count, ["color"] = starColor }
                        : new JsonObject { ["error"] = "Ratings service is currently unavailable" };
                }

                reviews.Add(review);
            }

            return Json.Ok(new JsonObject { ["id"] = productId.ToString(System.Globalization.CultureInfo.InvariantCulture), ["podname"] = podName, ["clustername"] = "null", ["reviews"] = reviews });
        });
    }
}
