using System.Text.Json.Nodes;

namespace Meshwork.Samples.Bookinfo;

/// <summary>details: the book's facts at <c>/details/{id}</c>, as Istio's Ruby service answers them.</summary>
internal static class DetailsService
{
    public static void Map(WebApplication app)
    {
        app.MapGet("/health", () => Json.Ok(new JsonObject { ["status"] = "Details is healthy" }));
        app.MapGet("/details/{id}", (string id) => int.TryParse(id, out var productId)
            ? Json.Ok(Book(productId))
            : Json.Status(400, new JsonObject { ["error"] = "please provide numeric product id" }));
    }

    private static JsonObject Book(int id) => new()
    {
        ["id"] = id,
        ["author"] = "William Shakespeare",
        ["year"] = 1595,
        ["type"] = "paperback",
        ["pages"] = 200,
        ["publisher"] = "PublisherA",
        ["language"] = "English",
        ["ISBN-10"] = "1234567890",
        ["ISBN-13"] = "123-1234567890",
    };
}
