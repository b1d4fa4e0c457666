import { describe, expect, it } from "vitest";
import { snsPushMessage } from "./channels.ts";
import { escapeHtml, renderNotice } from "./templates.ts";
import { noticeFrom, type EventPatch } from "../../test/support/invoice-events.ts";

const PORTAL = "https://billing.example.com/payment-method";

function render(fixture: string, locale: string, patch: EventPatch = {}) {
  return renderNotice(noticeFrom(fixture, patch), { locale, billingPortalUrl: PORTAL });
}

describe("paid notice", () => {
  it("in English, USD: amount, invoice number, service period and receipt link", () => {
    // Act
    const { email, push } = render("01", "en-US");

    // Assert
    expect(email.subject).toMatchInlineSnapshot(`"Payment received for invoice F8C76741-0032"`);
    expect(email.text).toMatchInlineSnapshot(`
      "Hi Jenny Rosen,

      We received your payment of $15.00 for invoice F8C76741-0032.

      Service period: August 3 – September 3, 2026.

      Thank you for your business.

      View your receipt
      https://invoice.stripe.com/i/acct_1ZqaEk5kb18UZlUm/test_geNsvHIDS7joK7O3jxiqzsMGKjbtCZfIJJAznOX1TOYxeLQkETmUgRSDVvZcpUlB?s=ap
      "
    `);
    expect(push).toMatchInlineSnapshot(`
      {
        "body": "$15.00 paid for invoice F8C76741-0032. Thank you!",
        "data": {
          "invoiceId": "in_1x6UCL5kb18UZlUmwFb6L0HI",
          "type": "invoice.paid",
          "url": "https://invoice.stripe.com/i/acct_1ZqaEk5kb18UZlUm/test_geNsvHIDS7joK7O3jxiqzsMGKjbtCZfIJJAznOX1TOYxeLQkETmUgRSDVvZcpUlB?s=ap",
        },
        "title": "Payment received",
      }
    `);
    expect(email.html).toMatchSnapshot();
  });

  it("in Japanese, JPY (zero-decimal)", () => {
    // Act
    const { email, push } = render("13", "ja-JP");

    // Assert
    expect(email.subject).toMatchInlineSnapshot(`"請求書 B5953531-0033 のお支払いを受け付けました"`);
    expect(email.text).toMatchInlineSnapshot(`
      "Taro Suzuki 様

      請求書 B5953531-0033 について、￥1,980 のお支払いを受け付けました。

      サービス期間：2026/08/07～2026/09/07

      ご利用いただきありがとうございます。

      領収書を表示
      https://invoice.stripe.com/i/acct_1yit7IvEVNipDJAF/test_VUsQnmJuAQEZY77gaK0h4gOstGJ6n1EKiwhUaArTrsgASEge6HkyFsEVBFDgmqeY?s=ap
      "
    `);
    expect(push.body).toMatchInlineSnapshot(`"請求書 B5953531-0033 の ￥1,980 のお支払いが完了しました。"`);
  });

  it("greets without a name and offers no link when the invoice has neither", () => {
    // Act
    const { email } = render("01", "en-US", {
      invoice: { customer_name: null, hosted_invoice_url: null, invoice_pdf: null },
    });

    // Assert
    expect(email.text).toMatchInlineSnapshot(`
      "Hello,

      We received your payment of $15.00 for invoice F8C76741-0032.

      Service period: August 3 – September 3, 2026.

      Thank you for your business.
      "
    `);
    expect(email.html).not.toContain("<a ");
  });

  it("formats amounts per currency exponent and locale", () => {
    // Arrange
    const cases = [
      ["usd", 1500, "en-US"],
      ["jpy", 1980, "en-US"],
      ["jpy", 1980, "ja-JP"],
      ["kwd", 12350, "en-US"],
      ["bhd", 25000, "fr-FR"],
      ["eur", 999, "de-DE"],
    ] as const;

    // Act
    const subjects = cases.map(([currency, amount, locale]) => {
      const { push } = render("01", locale, { invoice: { currency, amount_paid: amount, amount_due: amount } });
      return `${currency} ${amount} ${locale}: ${push.body}`;
    });

    // Assert
    expect(subjects).toMatchInlineSnapshot(`
      [
        "usd 1500 en-US: $15.00 paid for invoice F8C76741-0032. Thank you!",
        "jpy 1980 en-US: ¥1,980 paid for invoice F8C76741-0032. Thank you!",
        "jpy 1980 ja-JP: 請求書 F8C76741-0032 の ￥1,980 のお支払いが完了しました。",
        "kwd 12350 en-US: KWD 12.350 paid for invoice F8C76741-0032. Thank you!",
        "bhd 25000 fr-FR: Paiement de 25,000 BHD reçu pour la facture F8C76741-0032. Merci !",
        "eur 999 de-DE: 9,99 € für Rechnung F8C76741-0032 bezahlt. Vielen Dank!",
      ]
    `);
  });
});

describe("failed notice", () => {
  it("in French with the next automatic retry and the billing portal", () => {
    // Act
    const { email, push } = render("02", "fr-FR");

    // Assert
    expect(email.subject).toMatchInlineSnapshot(`"Échec du paiement de la facture 31A191F8-0024"`);
    expect(email.text).toMatchInlineSnapshot(`
      "Bonjour Jenny Rosen,

      Nous n'avons pas pu encaisser votre paiement de 15,00 $US pour la facture 31A191F8-0024 (tentative 2).

      Nous réessaierons automatiquement le 8 août 2026 à 16:40 UTC.

      Veuillez mettre à jour votre moyen de paiement afin que votre abonnement se poursuive sans interruption.

      Mettre à jour le moyen de paiement
      https://billing.example.com/payment-method
      "
    `);
    expect(push).toMatchInlineSnapshot(`
      {
        "body": "Impossible d'encaisser 15,00 $US pour la facture 31A191F8-0024. Prochaine tentative : 8 août 2026 à 16:40 UTC. Veuillez mettre à jour votre moyen de paiement.",
        "data": {
          "attempt": "2",
          "invoiceId": "in_13N6v45kb18UZlUmDO92Gtng",
          "type": "invoice.payment_failed",
          "url": "https://billing.example.com/payment-method",
        },
        "title": "Échec du paiement",
      }
    `);
    expect(email.html).toMatchSnapshot();
  });

  it("in German when Stripe will not retry any more: the customer must pay on the hosted invoice", () => {
    // Act
    const { email, push } = render("02", "de-DE", { invoice: { attempt_count: 4, next_payment_attempt: null } });

    // Assert
    expect(email.text).toMatchInlineSnapshot(`
      "Hallo Jenny Rosen,

      Wir konnten Ihre Zahlung über 15,00 $ für die Rechnung 31A191F8-0024 nicht einziehen (Versuch 4).

      Es erfolgen keine weiteren automatischen Versuche.

      Bitte aktualisieren Sie Ihre Zahlungsmethode, damit Ihr Abonnement ohne Unterbrechung weiterläuft.

      Rechnung bezahlen
      https://invoice.stripe.com/i/acct_1ZqaEk5kb18UZlUm/test_KxQS0nRpdwYvsOr0nzBZ6EkQD2206a7T9IV7971oWBpJ9FspQA9ZiUX7dBbT5d7C?s=ap
      "
    `);
    expect(push.body).toMatchInlineSnapshot(`"15,00 $ für Rechnung 31A191F8-0024 konnten nicht eingezogen werden. Keine weiteren automatischen Versuche. Bitte aktualisieren Sie Ihre Zahlungsmethode."`);
  });

  it("for an invoice paid by hand (send_invoice): no retry promised, the hosted invoice to pay", () => {
    // Act
    const { email, push } = render("02", "en-US", { invoice: { collection_method: "send_invoice", attempt_count: 1 } });

    // Assert
    expect(email.text).toMatchInlineSnapshot(`
      "Hi Jenny Rosen,

      Your payment of $15.00 for invoice 31A191F8-0024 didn't go through (attempt 1).

      This invoice is not charged automatically: please pay it online with another payment method.

      Pay invoice
      https://invoice.stripe.com/i/acct_1ZqaEk5kb18UZlUm/test_KxQS0nRpdwYvsOr0nzBZ6EkQD2206a7T9IV7971oWBpJ9FspQA9ZiUX7dBbT5d7C?s=ap
      "
    `);
    expect(push.data.url).toMatch(/^https:\/\/invoice\.stripe\.com\/i\//);
  });

  it("in Japanese with a three-decimal currency (KWD)", () => {
    // Act
    const { push } = render("02", "ja-JP", { invoice: { currency: "kwd", amount_due: 12350, amount_remaining: 12350 } });

    // Assert
    expect(push.body).toMatchInlineSnapshot(`"請求書 31A191F8-0024 の KWD 12.350 を決済できませんでした。次回の再試行：2026年8月8日 16:40 UTC。お支払い方法を更新してください。"`);
  });
});

describe("markup safety", () => {
  it("escapes names and numbers that come from Stripe in the HTML part", () => {
    // Act
    const { email } = render("01", "en-US", { invoice: { customer_name: `<img src=x onerror="alert(1)">`, number: "A&B-1" } });

    // Assert
    expect(email.html).not.toContain("<img");
    expect(email.html).toContain("Hi &lt;img src=x onerror=&quot;alert(1)&quot;&gt;,");
    expect(email.html).toContain("invoice A&amp;B-1");
  });

  it("escapeHtml covers the five significant characters", () => {
    // Assert
    expect(escapeHtml(`<a href="x">Tom & Jerry's</a>`)).toBe("&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;");
  });
});

describe("snsPushMessage", () => {
  it("carries an FCM v1 payload, an APNs payload and the default text, each as SNS expects", () => {
    // Arrange
    const { push } = render("02", "en-US");

    // Act
    const message = JSON.parse(snsPushMessage(push)) as Record<string, string>;

    // Assert
    expect(Object.keys(message).sort()).toEqual(["APNS", "APNS_SANDBOX", "GCM", "default"]);
    expect(message.default).toBe(push.body);
    expect(JSON.parse(message.GCM ?? "")).toEqual({
      fcmV1Message: { message: { notification: { title: push.title, body: push.body }, data: push.data } },
    });
    expect(JSON.parse(message.APNS ?? "")).toEqual({ aps: { alert: { title: push.title, body: push.body } }, ...push.data });
    expect(message.APNS_SANDBOX).toBe(message.APNS);
  });
});

describe("text from the event cannot fold the subject or plant a script link (issue 13, point 6)", () => {
  it("keeps an invoice number with control characters on one line in the subject", () => {
    const { email } = render("01", "en-US", { invoice: { number: "F8C7\r\nBcc: victim@example.com\u0000\u0085-0032" } });

    expect(email.subject).toBe("Payment received for invoice F8C7 Bcc: victim@example.com -0032");
    expect(email.subject).not.toMatch(/[\p{Cc}\u2028\u2029]/u);
  });

  it.each(["javascript:alert(document.cookie)", "JavaScript:alert(1)", "data:text/html,<script>alert(1)</script>", "/relative/path"])(
    "renders no link for a receipt URL %s, falling back to the PDF when it is a web link",
    (url) => {
      const withoutPdf = render("01", "en-US", { invoice: { hosted_invoice_url: url, invoice_pdf: null } });
      const withPdf = render("01", "en-US", { invoice: { hosted_invoice_url: url, invoice_pdf: "https://pay.stripe.com/invoice/x/pdf" } });

      for (const { email, push } of [withoutPdf, withPdf]) {
        expect(email.html.toLowerCase()).not.toContain(url.toLowerCase().slice(0, 10));
        expect(email.text.toLowerCase()).not.toContain(url.toLowerCase().slice(0, 10));
        expect(JSON.stringify(push.data).toLowerCase()).not.toContain(url.toLowerCase().slice(0, 10));
      }
      expect(withoutPdf.email.html).not.toContain("<a ");
      expect(withPdf.email.html).toContain('<a href="https://pay.stripe.com/invoice/x/pdf"');
    },
  );

  it("sends a manual-payment failure to the billing portal when the hosted invoice URL is not a web link", () => {
    const { email } = render("02", "en-US", {
      invoice: { collection_method: "send_invoice", next_payment_attempt: null, hosted_invoice_url: "javascript:alert(1)" },
    });

    expect(email.html).toContain(`<a href="${PORTAL}"`);
    expect(email.html).not.toContain("javascript:");
  });
});
