// Stripe.js, loaded only on the payment page from the URL GET /api/config names: js.stripe.com in
// AWS, localstripe's stand-in under `make run` (docs/web.md). The card never touches our servers:
// Stripe.js turns it into a payment method, which the API confirms ("finalize on the server");
// a card that needs 3-D Secure is finished by Stripe.js with the booking's client_secret.
import { html, useEffect, useRef, useState } from './html.js';
import { post } from './api.js';
import { navigate } from './router.js';
import { Loading, Problem } from './ui.js';

let loading = null;

function loadScript(url) {
  loading ??= new Promise((resolve, reject) => {
    if (window.Stripe) {
      resolve(window.Stripe);
      return;
    }
    const script = document.createElement('script');
    script.src = url;
    script.onload = () => (window.Stripe ? resolve(window.Stripe) : reject(new Error('Stripe.js did not start')));
    script.onerror = () => {
      loading = null;
      reject(new Error('Stripe.js could not be loaded'));
    };
    document.head.append(script);
  });
  return loading;
}

// localstripe's stand-in draws plain inputs with placeholders only; Stripe's own form is an
// accessible iframe. Name the stand-in's fields so the page stays usable with a screen reader.
const STAND_IN_LABELS = {
  number: ['Card number', 'cc-number', 'numeric'],
  exp_month: ['Expiry month (MM)', 'cc-exp-month', 'numeric'],
  exp_year: ['Expiry year (YY)', 'cc-exp-year', 'numeric'],
  cvc: ['Security code (CVC)', 'cc-csc', 'numeric'],
  postal_code: ['Postcode', 'postal-code', 'text'],
};

function labelStandIn(container) {
  for (const input of container.querySelectorAll('input[placeholder]')) {
    const [label, autocomplete, mode] = STAND_IN_LABELS[input.placeholder] || [input.placeholder, 'off', 'text'];
    input.setAttribute('aria-label', label);
    input.setAttribute('autocomplete', autocomplete);
    input.setAttribute('inputmode', mode);
  }
}

/** The card as a payment method id: Stripe's createPaymentMethod; the stand-in's is a no-op, so
 * there its createToken, whose card (card_...) a PaymentIntent accepts the same way. */
async function paymentMethodFrom(stripe, card) {
  const made = await stripe.createPaymentMethod({ type: 'card', card });
  if (made) {
    if (made.error) throw made.error;
    return made.paymentMethod.id;
  }
  let tokenised;
  try {
    tokenised = await stripe.createToken(card);
  } catch {
    throw { message: 'Please fill in every card field.' };
  }
  if (tokenised.error) throw { message: tokenised.error.message || 'The card details are not valid.' };
  return tokenised.token.card.id;
}

export function CardForm({ booking, config, disabled }) {
  const mount = useRef(null);
  const [stripe, setStripe] = useState(null);
  const [card, setCard] = useState(null);
  const [state, setState] = useState({ busy: false, error: null, failed: null });

  useEffect(() => {
    if (!config.stripe_publishable_key) return undefined;
    let live = true;
    loadScript(config.stripe_js_url).then(
      (Stripe) => {
        if (!live) return;
        const instance = Stripe(config.stripe_publishable_key);
        const element = instance.elements().create('card', {
          hidePostalCode: true,
          style: { base: { fontSize: '16px', color: '#1d2a33' } },
        });
        element.mount(mount.current);
        labelStandIn(mount.current);
        setStripe(instance);
        setCard(element);
      },
      (error) => live && setState({ busy: false, error: null, failed: error.message }),
    );
    return () => {
      live = false;
    };
  }, [config.stripe_js_url, config.stripe_publishable_key]);

  if (!config.stripe_publishable_key) {
    return html`<p class="problem" role="alert">Card payments are not set up on this site yet.</p>`;
  }

  const pay = async (event) => {
    event.preventDefault();
    setState({ busy: true, error: null, failed: null });
    try {
      let method;
      try {
        method = await paymentMethodFrom(stripe, card);
      } catch (cardError) {
        setState({ busy: false, error: cardError.message || 'The card details are not valid.', failed: null });
        return;
      }
      const paid = await post(
        `/bookings/${booking.id}/checkout`,
        { payment_method: method },
        { auth: true, headers: { 'Idempotency-Key': `pay-${booking.id}-${method}` } },
      );
      if (paid.payment_status === 'requires_action') {
        const finished = await stripe.confirmCardPayment(paid.client_secret);
        const intent = finished.paymentIntent;
        if (finished.error || !intent || !['succeeded', 'processing'].includes(intent.status)) {
          const why = finished.error?.message || intent?.last_payment_error?.message || 'The card was not authenticated.';
          setState({ busy: false, error: `${why} Try again or use another card.`, failed: null });
          return;
        }
      }
      navigate(`/bookings/${booking.id}?paid=1`);
    } catch (error) {
      setState({ busy: false, error, failed: null });
    }
  };

  return html`<form class="card-form" onSubmit=${pay} aria-labelledby="card-heading">
    <h2 id="card-heading">Pay by card</h2>
    ${state.failed && html`<p class="problem" role="alert">${state.failed}. Reload the page to try again.</p>`}
    ${!card && !state.failed && html`<${Loading} what="Loading the secure card form" />`}
    <div class="card-element" ref=${mount} role="group" aria-label="Card details"
      aria-describedby=${state.error ? 'pay-problem' : undefined}></div>
    <${Problem} error=${state.error} id="pay-problem" />
    <button class="primary wide" type="submit" disabled=${disabled || !card || state.busy}>
      ${state.busy ? 'Paying…' : `Pay ${booking.amountText}`}
    </button>
    <p class="muted small">Payments are processed by Stripe. Your card details never reach our servers.</p>
    ${config.stripe_publishable_key.startsWith('pk_test_') &&
    html`<p class="test-cards">Test mode: pay with <code>4242 4242 4242 4242</code>; <code>4000 0025 0000 3155</code>${' '}
      asks for 3-D Secure; <code>4000 0000 0000 0341</code> is declined. Any future expiry, any CVC.</p>`}
  </form>`;
}
