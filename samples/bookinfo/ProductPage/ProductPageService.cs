using System.Text.Json;
using System.Text.Json.Nodes;

namespace Meshwork.Samples.Bookinfo.ProductPage;

/// <summary>
/// productpage: the page users see and Istio's <c>/api/v1</c> API. It asks details (3 s deadline)
/// and reviews (3 s, tried twice: Istio's sample keeps that on purpose for the fault-injection
/// task) and shows Istio's error texts when they fail. The signed-in user comes from the
/// <c>user</c> cookie set by <c>/login</c>, or from an <c>end-user</c> header, and is sent on as
/// <c>end-user</c>, which Istio's routing tasks match on.
/// </summary>
internal static class ProductPageService
{
    public const string DetailsError = "Sorry, product details are currently unavailable for this book.";
    public const string ReviewsError = "Sorry, product reviews are currently unavailable for this book.";
    public const string RatingsError = "Sorry, product ratings are currently unavailable for this book.";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(3);

    public static void Map(WebApplication app, ServiceClient services)
    {
        var details = services.BaseUrl("details") + "/details/";
        var reviews = services.BaseUrl("reviews") + "/reviews/";
        var ratings = services.BaseUrl("ratings") + "/ratings/";

        app.MapGet("/", () => Results.Content(ProductPageHtml.Index(), "text/html; charset=utf-8"));
        app.MapGet("/index.html", () => Results.Content(ProductPageHtml.Index(), "text/html; charset=utf-8"));
        app.MapGet("/health", () => Results.Text("Product page is healthy"));
        app.MapPost("/login", async (HttpRequest request) =>
        {
            var form = request.HasFormContentType ? await request.ReadFormAsync() : null;
            var user = form?["username"].ToString() ?? string.Empty;
            if (user.Length > 0)
            {
                request.HttpContext.Response.Cookies.Append("user", user, new CookieOptions { Path = "/", HttpOnly = true, SameSite = SameSiteMode.Lax });
            }

            return Results.Redirect(Back(request));
        });
        app.MapGet("/logout", (HttpRequest request) =>
        {
            request.HttpContext.Response.Cookies.Delete("user", new CookieOptions { Path = "/" });
            return Results.Redirect(Back(request));
        });

        app.MapGet("/productpage", async (HttpRequest request) =>
        {
            var user = UserOf(request);
            var (detailsStatus, detailsBody) = await services.GetJsonAsync(details + "0", request, user, Deadline);
            var (reviewsStatus, reviewsBody) = await GetReviewsAsync(services, reviews + "0", request, user);
            var page = new ProductPageModel(user, Products[0], detailsStatus == 200 ? detailsBody : null, reviewsStatus == 200 ? reviewsBody : null);
            return Results.Content(ProductPageHtml.Page(page), "text/html; charset=utf-8");
        });

        app.MapGet("/api/v1/products", () => Results.Text(JsonSerializer.Serialize(Products.Select(p => new { id = p.Id, title = p.Title, descriptionHtml = p.DescriptionHtml })), "application/json"));
        app.MapGet("/api/v1/products/{id}", async (string id, HttpRequest request) =>
            Answer(await services.GetJsonAsync(details + id, request, UserOf(request), Deadline), DetailsError));
        app.MapGet("/api/v1/products/{id}/reviews", async (string id, HttpRequest request) =>
            Answer(await GetReviewsAsync(services, reviews + id, request, UserOf(request)), ReviewsError));
        app.MapGet("/api/v1/products/{id}/ratings", async (string id, HttpRequest request) =>
            Answer(await services.GetJsonAsync(ratings + id, request, UserOf(request), Deadline), RatingsError));
    }

    internal static readonly Product[] Products =
    [
        new(0, "The Comedy of Errors", "<a href=\"https://en.wikipedia.org/wiki/The_Comedy_of_Errors\">Wikipedia Summary</a>: The Comedy of Errors is one of <b>William Shakespeare's</b> early plays. It is his shortest and one of his most farcical comedies, with a major part of the humour coming from slapstick and mistaken identity, in addition to puns and word play."),
    ];

    /// <summary>The cookie from <c>/login</c> first, then an <c>end-user</c> header (a caller that signs in for the user).</summary>
    private static string? UserOf(HttpRequest request) =>
        request.Cookies["user"] is { Length: > 0 } cookie ? cookie
        : request.Headers["end-user"].ToString() is { Length: > 0 } header ? header
        : null;

    private static async Task<(int Status, JsonElement Body)> GetReviewsAsync(ServiceClient services, string url, HttpRequest request, string? user)
    {
        var answer = await services.GetJsonAsync(url, request, user, Deadline);
        return answer.Status == 200 ? answer : await services.GetJsonAsync(url, request, user, Deadline);
    }

    /// <summary>The service's JSON on success; otherwise its status (500 when there was no answer) and Istio's error object.</summary>
    private static IResult Answer((int Status, JsonElement Body) answer, string error) => answer.Status == 200
        ? Results.Text(answer.Body.GetRawText(), "application/json")
        : Json.Status(answer.Status == 0 ? 500 : answer.Status, new JsonObject { ["error"] = error });

    private static string Back(HttpRequest request) =>
        request.Headers.Referer.ToString() is { Length: > 0 } referer && Uri.TryCreate(referer, UriKind.Absolute, out var uri) ? uri.PathAndQuery : "/productpage";
}

/// <summary>A book the store shows; its description is the sample's own HTML.</summary>
internal sealed record Product(int Id, string Title, string DescriptionHtml);

/// <summary>What the page shows: details and reviews are null when their service failed.</summary>
internal sealed record ProductPageModel(string? User, Product Product, JsonElement? Details, JsonElement? Reviews);
