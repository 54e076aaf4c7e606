using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Meshwork.Samples.Bookinfo;

/// <summary>
/// ratings: each reviewer's stars at <c>/ratings/{id}</c> (POST replaces them, in memory), as
/// Istio's Node.js service. Versions <c>v-faulty</c> (half the answers 503) and <c>v-delayed</c>
/// (half the answers 7 s late) misbehave on purpose, for the resilience tasks.
/// </summary>
internal static class RatingsService
{
    public static void Map(WebApplication app, string version)
    {
        var added = new ConcurrentDictionary<int, JsonObject>();
        app.MapGet("/health", () => Json.Ok(new JsonObject { ["status"] = "Ratings is healthy" }));
        app.MapGet("/ratings/{id}", async (string id, CancellationToken aborted) =>
        {
            if (!int.TryParse(id, out var productId))
            {
                return Json.Status(400, new JsonObject { ["error"] = "please provide numeric product ID" });
            }

            var unlucky = Random.Shared.NextDouble() <= 0.5;
            if (version == "v-faulty" && unlucky)
            {
                return Json.Status(503, new JsonObject { ["error"] = "Service unavailable" });
            }

            if (version == "v-delayed" && unlucky)
            {
                await Task.Delay(TimeSpan.FromSeconds(7), aborted);
            }

            return Json.Ok(added.TryGetValue(productId, out var stored) ? stored.DeepClone() : Default(productId));
        });
        app.MapPost("/ratings/{id}", async (string id, HttpRequest request) =>
        {
            if (!int.TryParse(id, out var productId))
            {
                return Json.Status(400, new JsonObject { ["error"] = "please provide numeric product ID" });
            }

            JsonNode? ratings;
            try
            {
                ratings = await JsonNode.ParseAsync(request.Body);
            }
            catch (JsonException)
            {
                ratings = null;
            }

            if (ratings is not JsonObject)
            {
                return Json.Status(400, new JsonObject { ["error"] = "please provide valid ratings JSON" });
            }

            var stored = new JsonObject { ["id"] = productId, ["ratings"] = ratings };
            added[productId] = stored;
            return Json.Ok(stored.DeepClone());
        });
    }

    private static JsonObject Default(int productId) => new()
    {
        ["id"] = productId,
        ["ratings"] = new JsonObject { ["Reviewer1"] = 5, ["Reviewer2"] = 4 },
    };
}
