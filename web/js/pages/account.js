// Sign in and sign up. Errors are shown under the field they concern (or the form's button).
import { html, useState } from '../html.js';
import { signIn, signUp } from '../api.js';
import { fieldErrors } from '../format.js';
import { navigate, withQuery } from '../router.js';
import { Field, PageTitle, Problem } from '../ui.js';

function safeNext(query) {
  const next = query.get('next') || '/';
  return next.startsWith('/') && !next.startsWith('//') ? next : '/';
}

function useForm(initial) {
  const [values, setValues] = useState(initial);
  const [state, setState] = useState({ busy: false, error: null });
  const set = (name) => (event) => setValues({ ...values, [name]: event.target.value });
  return { values, set, state, setState };
}

export function SignInPage({ query }) {
  const form = useForm({ email: '', password: '' });
  const next = safeNext(query);
  const submit = async (event) => {
    event.preventDefault();
    form.setState({ busy: true, error: null });
    try {
      await signIn(form.values.email, form.values.password);
      navigate(next, { replace: true });
    } catch (error) {
      form.setState({ busy: false, error });
    }
  };
  const fields = fieldErrors(form.state.error);
  const general = form.state.error && !Object.keys(fields).length ? form.state.error : null;
  return html`<div class="narrow panel">
    <${PageTitle} title="Sign in">Sign in</${PageTitle}>
    <form onSubmit=${submit} novalidate>
      <${Field} id="email" label="Email" type="email" autocomplete="email" required value=${form.values.email}
        onInput=${form.set('email')} error=${fields.email} />
      <${Field} id="password" label="Password" type="password" autocomplete="current-password" required
        value=${form.values.password} onInput=${form.set('password')} error=${fields.password} />
      <${Problem} error=${general} />
      <button class="primary wide" type="submit" disabled=${form.state.busy}>${form.state.busy ? 'Signing in…' : 'Sign in'}</button>
    </form>
    <p>New here? <a href=${withQuery('/signup', { next })}>Create an account</a></p>
  </div>`;
}

export function SignUpPage({ query }) {
  const form = useForm({ name: '', email: '', password: '' });
  const next = safeNext(query);
  const submit = async (event) => {
    event.preventDefault();
    form.setState({ busy: true, error: null });
    try {
      await signUp(form.values.name, form.values.email, form.values.password);
      navigate(next, { replace: true });
    } catch (error) {
      form.setState({ busy: false, error });
    }
  };
  const fields = fieldErrors(form.state.error);
  const general = form.state.error && !Object.keys(fields).length ? form.state.error : null;
  return html`<div class="narrow panel">
    <${PageTitle} title="Create an account">Create an account</${PageTitle}>
    <form onSubmit=${submit} novalidate>
      <${Field} id="name" label="Your name" autocomplete="name" required value=${form.values.name}
        onInput=${form.set('name')} error=${fields.name} />
      <${Field} id="email" label="Email" type="email" autocomplete="email" required value=${form.values.email}
        onInput=${form.set('email')} error=${fields.email} />
      <${Field} id="password" label="Password" type="password" autocomplete="new-password" required
        hint="At least 10 characters, not your email." value=${form.values.password}
        onInput=${form.set('password')} error=${fields.password} />
      <${Problem} error=${general} />
      <button class="primary wide" type="submit" disabled=${form.state.busy}>${form.state.busy ? 'Creating your account…' : 'Create account'}</button>
    </form>
    <p>Already have an account? <a href=${withQuery('/signin', { next })}>Sign in</a></p>
  </div>`;
}
