using System.Net;
using System.Text;
using System.Text.Json;

namespace Meshwork.Samples.Bookinfo.ProductPage;

/// <summary>
/// The HTML of productpage: one self-contained page (inline CSS, no script, no CDN) with Istio's
/// texts and structure: the book, its details, its reviews with stars (black from reviews v2, red
/// from v3, none from v1), and a sign-in form whose user the mesh's routing rules can match.
/// </summary>
internal static class ProductPageHtml
{
    private const string Style = """
        *{box-sizing:border-box}
        body{margin:0;font:16px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#1f2937;background:#f3f4f6}
        header{background:#111827;color:#f9fafb}
        .bar{max-width:1040px;margin:0 auto;padding:.8rem 1.5rem;display:flex;align-items:center;justify-content:space-between;gap:1rem;flex-wrap:wrap}
        .brand{font-weight:700;font-size:1.15rem;letter-spacing:.02em;color:#f9fafb;text-decoration:none}
        .brand span{color:#60a5fa}
        .user{font-size:.95rem}.user a{color:#93c5fd}
        form.signin{display:flex;gap:.4rem;margin:0}
        form.signin input{padding:.35rem .6rem;border:1px solid #374151;border-radius:6px;background:#1f2937;color:#f9fafb;width:9rem}
        button{padding:.35rem .9rem;border:0;border-radius:6px;background:#2563eb;color:#fff;font-weight:600;cursor:pointer}
        main{max-width:1040px;margin:0 auto;padding:2rem 1.5rem}
        h1{margin:0 0 .5rem;font-size:2rem;text-align:center;color:#1e3a8a}
        .summary{max-width:760px;margin:0 auto 2rem;text-align:center;color:#4b5563}
        .summary a{color:#2563eb}
        .grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:1.5rem}
        .card{background:#fff;border-radius:12px;box-shadow:0 1px 3px rgba(0,0,0,.08),0 8px 24px rgba(0,0,0,.04);padding:1.5rem}
        .card h2{margin:0 0 1rem;font-size:1.2rem;color:#1e3a8a}
        dl{display:grid;grid-template-columns:max-content 1fr;gap:.45rem 1.2rem;margin:0}
        dt{font-weight:600;color:#6b7280}dd{margin:0}
        blockquote{margin:0 0 1rem;padding:.8rem 1rem;border-left:4px solid #bfdbfe;background:#f9fafb;border-radius:0 8px 8px 0}
        blockquote p{margin:0 0 .4rem}
        .reviewer{font-size:.85rem;color:#6b7280}
        .stars{font-size:1.25rem;letter-spacing:.1em;margin-left:.6rem}
        .error h2{color:#b91c1c}.error p{color:#7f1d1d}
        .rating-error{font-style:italic;color:#b91c1c;font-size:.9rem}
        footer{max-width:1040px;margin:0 auto;padding:0 1.5rem 2rem;color:#9ca3af;font-size:.8rem;text-align:center}
        """;

    public static string Page(ProductPageModel model)
    {
        var html = new StringBuilder(6 * 1024);
        Open(html, model.Product.Title, model.User);
        html.Append("<main>\n<h1>").Append(Encode(model.Product.Title)).Append("</h1>\n");
        // The description is the sample's own HTML (a link and bold text), shown as Istio shows it.
        html.Append("<p class=\"summary\">Summary: ").Append(model.Product.DescriptionHtml).Append("</p>\n<div class=\"grid\">\n");
        AppendDetails(html, model.Details);
        AppendReviews(html, model.Reviews);
        html.Append("</div>\n</main>\n<footer>");
        if (model.Reviews is { } reviews && reviews.TryGetProperty("podname", out var pod))
        {
            html.Append("reviews served by ").Append(Encode(pod.ToString())).Append(" · ");
        }

        html.Append("Bookinfo on Meshwork</footer>\n</body>\n</html>\n");
        return html.ToString();
    }

    public static string Index()
    {
        var html = new StringBuilder(3 * 1024);
        Open(html, "Bookinfo", user: null, signIn: false);
        html.Append("""
            <main>
            <h1>Hello! This is a simple bookstore application consisting of three services as shown below</h1>
            <div class="grid">
            <section class="card"><h2>productpage</h2><p>Calls <b>details</b> (http://details:9080/details) and <b>reviews</b> (http://reviews:9080/reviews).</p></section>
            <section class="card"><h2>reviews</h2><p>v1 shows no ratings; v2 calls <b>ratings</b> (http://ratings:9080/ratings) and shows black stars; v3 shows red stars.</p></section>
            </div>
            <p class="summary" style="margin-top:2rem">Click on one of the links below to auto generate a request to the backend as a real user or a tester:
            <a href="productpage?u=normal">Normal user</a> · <a href="productpage?u=test">Test user</a></p>
            </main>
            </body>
            </html>

            """);
        return html.ToString();
    }

    private static void Open(StringBuilder html, string title, string? user, bool signIn = true)
    {
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>Simple Bookstore App · ")
            .Append(Encode(title)).Append("</title>\n<style>\n").Append(Style).Append("</style>\n</head>\n<body>\n<header><div class=\"bar\">\n<a class=\"brand\" href=\"productpage\">BookInfo <span>Sample</span></a>\n");
        if (user != null)
        {
            html.Append("<div class=\"user\">&#128100; <span id=\"user\">").Append(Encode(user)).Append("</span> ( <a href=\"logout\">sign out</a> )</div>\n");
        }
        else if (signIn)
        {
            html.Append("<form class=\"signin\" method=\"post\" action=\"login\"><input name=\"username\" placeholder=\"User name\" aria-label=\"User name\"><input type=\"password\" name=\"passwd\" placeholder=\"Password\" aria-label=\"Password\"><button type=\"submit\">Sign in</button></form>\n");
        }

        html.Append("</div></header>\n");
    }

    private static void AppendDetails(StringBuilder html, JsonElement? details)
    {
        if (details is not { } d)
        {
            html.Append("<section class=\"card error\"><h2>Error fetching product details!</h2><p>").Append(ProductPageService.DetailsError).Append("</p></section>\n");
            return;
        }

        html.Append("<section class=\"card\"><h2>Book Details</h2>\n<dl>");
        foreach (var (label, field) in new[] { ("Type:", "type"), ("Pages:", "pages"), ("Publisher:", "publisher"), ("Language:", "language"), ("ISBN-10:", "ISBN-10"), ("ISBN-13:", "ISBN-13") })
        {
            html.Append("<dt>").Append(label).Append("</dt><dd>").Append(d.TryGetProperty(field, out var value) ? Encode(value.ToString()) : string.Empty).Append("</dd>");
        }

        html.Append("</dl>\n</section>\n");
    }

    private static void AppendReviews(StringBuilder html, JsonElement? reviews)
    {
        if (reviews is not { } r || !r.TryGetProperty("reviews", out var list) || list.ValueKind != JsonValueKind.Array)
        {
            html.Append("<section class=\"card error\"><h2>Error fetching product reviews!</h2><p>").Append(ProductPageService.ReviewsError).Append("</p></section>\n");
            return;
        }

        html.Append("<section class=\"card\"><h2>Book Reviews</h2>\n");
        foreach (var review in list.EnumerateArray())
        {
            html.Append("<blockquote><p>").Append(Encode(Text(review, "text"))).Append("</p><span class=\"reviewer\">— ").Append(Encode(Text(review, "reviewer"))).Append("</span>");
            if (review.TryGetProperty("rating", out var rating))
            {
                if (rating.TryGetProperty("stars", out var starsValue) && starsValue.TryGetInt32(out var stars))
                {
                    stars = Math.Clamp(stars, 0, 5);
                    html.Append("<span class=\"stars\" style=\"color: ").Append(Encode(Text(rating, "color"))).Append("\" title=\"").Append(stars).Append(" of 5 stars\">")
                        .Append(new string('★', stars)).Append(new string('☆', 5 - stars)).Append("</span>");
                }
                else if (rating.TryGetProperty("error", out var error))
                {
                    html.Append("<p class=\"rating-error\">").Append(Encode(error.ToString())).Append("</p>");
                }
            }

            html.Append("</blockquote>\n");
        }

        html.Append("</section>\n");
    }

    private static string Text(JsonElement element, string property) => element.TryGetProperty(property, out var value) ? value.ToString() : string.Empty;

    private static string Encode(string text) => WebUtility.HtmlEncode(text);
}
